import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http'
import { quoteValue } from '@node-channels/core'

/** An `http.response.start` the server checked: status and headers as latin-1 strings. */
export interface ResponseStart {
  status: number
  headers: Array<[string, string]>
}

// RFC 9110 token, and field values: visible ASCII, obs-text, space and tab.
const TOKEN = /^[-!#$%&'*+.^_`|~0-9a-zA-Z]+$/
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/

/** Checks an `http.response.start` event. Throws an Error with Daphne's message for each problem. */
export function parseResponseStart(message: Record<string, unknown>): ResponseStart {
  const status = message.status
  if (status === undefined || status === null) {
    throw new Error('Specifying a status code is required for a Response message.')
  }
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 999) {
    throw new Error(
      `Response status must be an integer from 100 to 999, not ${quoteValue(status)}.`,
    )
  }
  return { status, headers: parseHeaders(message.headers, 'Response') }
}

/**
 * Normalises a header list of `[name, value]` pairs (strings or Uint8Arrays) to latin-1
 * strings, checking names are tokens and values hold no control characters.
 */
export function parseHeaders(raw: unknown, what: string): Array<[string, string]> {
  if (raw === undefined || raw === null) return []
  if (!Array.isArray(raw) && !(typeof raw === 'object' && Symbol.iterator in raw)) {
    throw new Error(
      `${what} headers must be a list of [name, value] pairs, not ${quoteValue(raw)}.`,
    )
  }
  const headers: Array<[string, string]> = []
  for (const pair of raw as Iterable<unknown>) {
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new Error(`${what} header ${quoteValue(pair)} must be a [name, value] pair.`)
    }
    const name = latin1(pair[0], 'name')
    const value = latin1(pair[1], 'value')
    if (!TOKEN.test(name))
      throw new Error(`Header name ${quoteValue(name)} is not a valid HTTP token.`)
    if (!FIELD_VALUE.test(value)) {
      throw new Error(
        `Header value ${quoteValue(value)} of ${quoteValue(name)} contains invalid characters.`,
      )
    }
    headers.push([name, value])
  }
  return headers
}

/** Checks the `body` of an `http.response.body` event (absent means empty). */
export function parseBody(body: unknown): Uint8Array {
  if (body === undefined || body === null) return EMPTY
  if (body instanceof Uint8Array) return body
  throw new Error(`Body of http.response.body must be a Uint8Array, not ${quoteValue(body)}.`)
}

/**
 * The header list of a response head, flattened for `res.writeHead`: the application's headers,
 * `Server` unless the application set one or `serverName` is '', and `Content-Length` when the
 * whole body is known (`finalLength`) and the application set neither it nor Transfer-Encoding.
 */
export function responseHead(
  start: ResponseStart,
  context: { serverName: string; method: string; finalLength: number | null },
): string[] {
  const flat: string[] = []
  let framed = false
  let hasServer = false
  for (const [name, value] of start.headers) {
    const lower = name.toLowerCase()
    if (lower === 'content-length' || lower === 'transfer-encoding') framed = true
    if (lower === 'server') hasServer = true
    flat.push(name, value)
  }
  if (context.serverName && !hasServer) flat.push('server', context.serverName)
  const bodiless = start.status < 200 || start.status === 204 || start.status === 304
  if (context.finalLength !== null && !framed && !bodiless && context.method !== 'HEAD') {
    flat.push('content-length', String(context.finalLength))
  }
  return flat
}

/** A zero-length body. */
export const EMPTY: Uint8Array = new Uint8Array(0)

/**
 * Writes a small HTML error page, as Daphne's `basic_error` does, unless a response has
 * already begun (then the connection is cut so the client cannot mistake it for complete).
 */
export function writeErrorPage(
  res: ServerResponse,
  status: number,
  detail: string,
  serverName: string,
): number {
  if (res.headersSent) {
    res.destroy()
    return 0
  }
  const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`
  const body = Buffer.from(
    `<!DOCTYPE html><html><head><title>${title}</title></head>` +
      `<body><h1>${title}</h1><p>${escapeHtml(detail)}</p>` +
      `<footer>${escapeHtml(serverName || 'node-channels')}</footer></body></html>`,
  )
  const headers: Record<string, string | number> = {
    'content-type': 'text/html; charset=utf-8',
    'content-length': body.length,
  }
  if (serverName) headers.server = serverName
  res.writeHead(status, headers)
  res.end(body)
  return body.length
}

/**
 * Reads the next chunk of a request body, waiting for one to arrive: `null` at the end.
 * Reads only on demand, so an unread body holds the socket back (backpressure).
 */
export function readChunk(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      req.off('readable', attempt)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('close', onClose)
    }
    const attempt = (): boolean => {
      const chunk = req.read() as Buffer | null
      if (chunk !== null) {
        cleanup()
        resolve(chunk)
        return true
      }
      if (req.readableEnded) {
        cleanup()
        resolve(null)
        return true
      }
      return false
    }
    const onEnd = () => {
      cleanup()
      resolve(null)
    }
    const onError = (error: Error) => {
      cleanup()
      reject(error)
    }
    const onClose = () => {
      cleanup()
      if (req.readableEnded) resolve(null)
      else reject(new Error('The client went away before the request body was complete.'))
    }
    if (req.destroyed) {
      if (req.readableEnded) resolve(null)
      else reject(new Error('The client went away before the request body was complete.'))
      return
    }
    if (attempt()) return
    req.on('readable', attempt)
    req.once('end', onEnd)
    req.once('error', onError)
    req.once('close', onClose)
  })
}

function latin1(value: unknown, part: 'name' | 'value'): string {
  if (typeof value === 'string') return value
  if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1')
  throw new Error(
    `Header ${part} ${quoteValue(value)} expected to be a string or Uint8Array, but got ${typeof value}.`,
  )
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

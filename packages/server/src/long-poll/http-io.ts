import type { Headers, HttpScope, Receive, Send } from '@node-channels/core'

/** The outcome of reading a JSON request body. */
export type JsonBody = { ok: true; value: unknown } | { ok: false; status: number; error: string }

const encoder = new TextEncoder()
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Reads the whole body (at most `maxBytes`) and parses it as JSON; an empty body is `{}`. */
export async function readJsonBody(
  scope: HttpScope,
  receive: Receive,
  maxBytes: number,
): Promise<JsonBody> {
  const type = header(scope, 'content-type')?.split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/json') {
    // Also keeps other sites from posting here with a "simple" (preflight-free) request.
    return { ok: false, status: 415, error: 'The body must be application/json.' }
  }
  const declared = Number(header(scope, 'content-length') ?? Number.NaN)
  if (declared > maxBytes) return tooLarge(maxBytes)
  const chunks: Uint8Array[] = []
  let size = 0
  // Bounded: every turn takes a chunk, and the size check ends the loop past maxBytes.
  for (;;) {
    const message = await receive()
    if (message.type === 'http.disconnect')
      return { ok: false, status: 400, error: 'The client went away.' }
    if (message.type !== 'http.request') continue
    const body = message.body
    if (body instanceof Uint8Array && body.byteLength > 0) {
      size += body.byteLength
      if (size > maxBytes) return tooLarge(maxBytes)
      chunks.push(body)
    }
    if (!message.more_body) break
  }
  if (size === 0) return { ok: true, value: {} }
  try {
    return { ok: true, value: JSON.parse(utf8.decode(Buffer.concat(chunks))) }
  } catch {
    return { ok: false, status: 400, error: 'The body is not valid JSON.' }
  }
}

/** Sends a JSON response (or an empty one for 204). */
export async function respond(
  send: Send,
  status: number,
  body: unknown,
  headers: Headers = [],
): Promise<void> {
  const payload = status === 204 ? new Uint8Array(0) : encoder.encode(JSON.stringify(body))
  const base: Headers = [['cache-control', 'no-store']]
  if (status !== 204) base.push(['content-type', 'application/json'])
  await send({ type: 'http.response.start', status, headers: [...base, ...headers] })
  await send({ type: 'http.response.body', body: payload, more_body: false })
}

/** The first value of a request header (names are lower-case in scopes). */
export function header(scope: HttpScope, name: string): string | undefined {
  return scope.headers.find(([key]) => key === name)?.[1]
}

function tooLarge(maxBytes: number): JsonBody {
  return { ok: false, status: 413, error: `The body is larger than ${maxBytes} bytes.` }
}

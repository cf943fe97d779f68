import { AsyncConsumer, queueSend } from './consumer.js'
import { StopConsumer } from './errors.js'
import { quoteValue as quote } from './quote-value.js'
import type { Headers, HttpScope, Message } from './types.js'

/** Response headers: a list of `[name, value]` pairs, or a record. */
export type ResponseHeaders = Headers | Record<string, string>

/** Options of `sendHeaders()`. Mirrors `send_headers(*, status=200, headers=None)`. */
export interface SendHeadersOptions {
  /** @default 200 */
  status?: number
  /** A record becomes a list of pairs in its key order. @default [] */
  headers?: ResponseHeaders
}

/** Options of `sendBody()`. Mirrors `send_body(body, *, more_body=False)`. */
export interface SendBodyOptions {
  /** More body follows; the response stays open. @default false */
  moreBody?: boolean
}

/** Response body: bytes, or a string sent as UTF-8. */
export type ResponseBody = Uint8Array | string

type ResponseState = 'pending' | 'started' | 'complete'

const encoder = new TextEncoder()

/**
 * An HTTP consumer: the request body is assembled across `more_body` chunks and handed to
 * `handle(body)`. Unlike Channels, the instance lives until the response is complete (a
 * final `sendBody` without `moreBody`) or the client goes away, not merely until `handle()`
 * returns: a handler can send headers and return, and later channel-layer messages can
 * stream the body (server-sent events, long polling). Mirrors
 * `channels.generic.http.AsyncHttpConsumer`.
 */
export class AsyncHttpConsumer extends AsyncConsumer {
  declare scope: HttpScope
  readonly #chunks: Uint8Array[] = []
  #response: ResponseState = 'pending'
  #disconnected = false

  /** Starts the response. A record of headers becomes a list of pairs. Mirrors `send_headers`. */
  sendHeaders(options: SendHeadersOptions = {}): Promise<void> {
    return queueSend(this, () => {
      const { status = 200, headers = [] } = options
      if (!Number.isInteger(status) || status < 100 || status > 999) {
        throw new RangeError(
          `An HTTP status must be an integer from 100 to 999, not ${quote(status)}.`,
        )
      }
      if (this.#response !== 'pending') {
        throw new TypeError(
          'The response has already started: sendHeaders() may be called only once.',
        )
      }
      const list = toHeaderList(headers)
      this.#response = 'started'
      return { type: 'http.response.start', status, headers: list }
    })
  }

  /**
   * Sends a chunk of the body: a Uint8Array, or a string encoded as UTF-8 (Channels accepts
   * bytes only). Without `moreBody` this completes the response, and the instance ends once
   * the current handler returns. Mirrors `send_body`.
   */
  sendBody(body: ResponseBody, options: SendBodyOptions = {}): Promise<void> {
    return queueSend(this, () => {
      const moreBody = options.moreBody ?? false
      let bytes: Uint8Array
      if (body instanceof Uint8Array) bytes = body
      else if (typeof body === 'string') bytes = encoder.encode(body)
      else throw new TypeError(`The body must be a Uint8Array or a string, not ${quote(body)}.`)
      if (this.#response === 'pending') {
        throw new TypeError('The response has not started: call sendHeaders() before sendBody().')
      }
      if (this.#response === 'complete') {
        throw new TypeError('The response is already complete: sendBody() after the final body.')
      }
      if (!moreBody) this.#response = 'complete'
      return { type: 'http.response.body', body: bytes, more_body: moreBody }
    })
  }

  /** Sends a whole response: headers, then the body. Mirrors `send_response`. */
  sendResponse(
    status: number,
    body: ResponseBody,
    options: { headers?: ResponseHeaders } = {},
  ): Promise<void> {
    const started = this.sendHeaders({ status, headers: options.headers })
    const sent = this.sendBody(body)
    const both = Promise.all([started, sent]).then(() => undefined)
    both.catch(() => undefined)
    return both
  }

  /** Called with the whole request body. Subclasses must override it. */
  handle(_body: Uint8Array): void | Promise<void> {
    throw new TypeError('Subclasses of AsyncHttpConsumer must provide a handle() method.')
  }

  /** Called once when the instance ends: after the response, on client disconnect, on error. */
  disconnect(): void | Promise<void> {}

  /** Handles `http.request`: collects the body, and calls `handle()` once it is complete. */
  async http_request(message: Message): Promise<void> {
    const { body, more_body: moreBody } = message
    if (body !== undefined) {
      if (!(body instanceof Uint8Array)) {
        throw new TypeError(`An http.request "body" must be a Uint8Array, not ${quote(body)}.`)
      }
      this.#chunks.push(body)
    }
    if (moreBody) return
    try {
      await this.handle(Buffer.concat(this.#chunks.splice(0)))
    } catch (error) {
      await this.#disconnectOnce()
      throw error
    }
  }

  /** Handles `http.disconnect`: the client went away. Calls `disconnect()` and ends. */
  async http_disconnect(_message: Message): Promise<void> {
    await this.#disconnectOnce()
    throw ENDED
  }

  /** Runs the handler, then ends the instance if the response is now complete. */
  override async dispatch(message: Message): Promise<void> {
    try {
      await super.dispatch(message)
    } catch (error) {
      if (!(error instanceof StopConsumer)) await this.#disconnectOnce()
      throw error
    }
    if (this.#response === 'complete') {
      await this.#disconnectOnce()
      throw ENDED
    }
  }

  async #disconnectOnce(): Promise<void> {
    if (this.#disconnected) return
    this.#disconnected = true
    await this.disconnect()
  }
}

// --- helpers ---

/** What ends an HTTP consumer on the normal path: one shared StopConsumer, not one per request. */
const ENDED = new StopConsumer()

function toHeaderList(headers: ResponseHeaders): Headers {
  const pairs: unknown[] = Array.isArray(headers)
    ? headers
    : typeof headers === 'object' && headers !== null
      ? Object.entries(headers)
      : [headers]
  for (const pair of pairs) {
    if (
      !Array.isArray(pair) ||
      pair.length !== 2 ||
      typeof pair[0] !== 'string' ||
      typeof pair[1] !== 'string'
    ) {
      throw new TypeError(
        `Response headers must be [name, value] string pairs or a record of strings, not ${quote(headers)}.`,
      )
    }
  }
  return (pairs as Array<[string, string]>).map(([name, value]) => [name, value])
}

import { AssertionError } from 'node:assert'
import type { Application, Headers, HttpScope } from '@node-channels/core'
import { quoteValue } from '@node-channels/core'
import { ApplicationCommunicator, type TimeoutOptions } from './application-communicator.js'
import { parseTestPath } from './test-path.js'
import { concatBytes, typeName } from './values.js'

/** Options of `new HttpCommunicator()`. Mirrors its `body=` and `headers=`. */
export interface HttpCommunicatorOptions {
  /** The request body: bytes, or a string sent as UTF-8. @default empty */
  body?: Uint8Array | string
  /** Request headers: lower-case names, latin-1 values. @default [] */
  headers?: Headers
}

/** What `getResponse()` resolves to: the start message's keys, and the whole body. */
export interface HttpResponse {
  status: number
  headers: Headers
  body: Uint8Array
  [key: string]: unknown
}

/**
 * Runs an HTTP application in a test: sends one request and collects the response. The scope
 * has `http_version: '1.1'`, the upper-cased `method`, the percent-decoded `path`,
 * `query_string` and `headers`. Mirrors `channels.testing.HttpCommunicator`.
 */
export class HttpCommunicator extends ApplicationCommunicator {
  declare readonly scope: HttpScope
  /** The request body. */
  readonly body: Uint8Array
  #requested = false

  constructor(
    application: Application,
    method: string,
    path: string,
    options: HttpCommunicatorOptions = {},
  ) {
    if (typeof method !== 'string' || method.length === 0) {
      throw new TypeError(
        `Expected the method to be a non-empty string, got ${quoteValue(method)}.`,
      )
    }
    if (typeof path !== 'string') {
      throw new TypeError(
        `Expected the path to be a string, got ${typeName(path)}: ${quoteValue(path)}.`,
      )
    }
    const { body = new Uint8Array(0), headers = [] } = options
    let bytes: Uint8Array
    if (body instanceof Uint8Array) bytes = body
    else if (typeof body === 'string') bytes = new TextEncoder().encode(body)
    else throw new TypeError(`The body must be a Uint8Array or a string, not ${quoteValue(body)}.`)
    const scope: HttpScope = {
      type: 'http',
      http_version: '1.1',
      method: method.toUpperCase(),
      ...parseTestPath(path),
      headers,
    }
    super(application, scope)
    this.body = bytes
  }

  /**
   * Sends the request (on the first call) and reads the response: `http.response.start`,
   * then `http.response.body` chunks until one has no `more_body`. Each message must arrive
   * within `timeoutMs`. Mirrors `get_response(timeout=1)`.
   */
  async getResponse(options: TimeoutOptions = {}): Promise<HttpResponse> {
    const timeoutMs = this.timeoutOf(options)
    if (!this.#requested) {
      this.#requested = true
      await this.sendInput({ type: 'http.request', body: this.body })
    }
    const start = await this.nextOutput('getResponse()', timeoutMs)
    if (start.type !== 'http.response.start') {
      throw new AssertionError({
        message: `Expected type 'http.response.start', but was '${start.type}'`,
      })
    }
    if (typeof start.status !== 'number') {
      throw new AssertionError({
        message: `The status is not a number, it is ${typeName(start.status)}`,
      })
    }
    const chunks: Uint8Array[] = []
    for (;;) {
      const chunk = await this.nextOutput('getResponse()', timeoutMs)
      if (chunk.type !== 'http.response.body') {
        throw new AssertionError({
          message: `Expected type 'http.response.body', but was '${chunk.type}'`,
        })
      }
      const body = chunk.body ?? new Uint8Array(0)
      if (!(body instanceof Uint8Array)) {
        throw new AssertionError({ message: `Body is not a Uint8Array, it is ${typeName(body)}` })
      }
      chunks.push(body)
      if (!chunk.more_body) break
    }
    const { type: _type, ...rest } = start
    return {
      ...rest,
      status: start.status,
      headers: Array.isArray(start.headers) ? (start.headers as Headers) : [],
      body: concatBytes(chunks),
    }
  }
}

import { AssertionError } from 'node:assert'
import type { Application, Headers, WebSocketScope } from '@node-channels/core'
import { quoteValue } from '@node-channels/core'
import { ApplicationCommunicator, type TimeoutOptions } from './application-communicator.js'
import { parseTestPath } from './test-path.js'
import { typeName } from './values.js'

/** Options of `new WebsocketCommunicator()`. Mirrors its `headers=`, `subprotocols=`, `spec_version=`. */
export interface WebsocketCommunicatorOptions {
  /** Request headers: lower-case names, latin-1 values. @default [] */
  headers?: Headers
  /** The subprotocols the client offers. @default [] */
  subprotocols?: string[]
  /** Sets `scope.asgi = { version: '3.0', spec_version }` (Channels sets a top-level key). */
  specVersion?: string
}

/** What `connect()` resolves to: accepted with the chosen subprotocol, or refused with a close code. */
export type ConnectResult =
  | [accepted: true, subprotocol: string | null]
  | [accepted: false, closeCode: number]

/** One frame to send: exactly one of the two. */
export interface FrameToSend {
  textData?: string
  bytesData?: Uint8Array
}

/**
 * Runs a WebSocket application in a test, with the WebSocket shortcuts: `connect()`,
 * `sendTo()`, `receiveFrom()`, `disconnect()` and their JSON forms. The scope has `path`
 * (percent-decoded), `query_string`, `headers` and `subprotocols`; a full URL is reduced to
 * its path and query. Mirrors `channels.testing.WebsocketCommunicator`.
 */
export class WebsocketCommunicator extends ApplicationCommunicator {
  declare readonly scope: WebSocketScope
  /** The headers of the accept message, once `connect()` has been accepted. */
  responseHeaders: Headers | null = null

  constructor(application: Application, path: string, options: WebsocketCommunicatorOptions = {}) {
    if (typeof path !== 'string') {
      throw new TypeError(
        `Expected the path to be a string, got ${typeName(path)}: ${quoteValue(path)}.`,
      )
    }
    const { headers = [], subprotocols = [], specVersion } = options
    const scope: WebSocketScope = {
      type: 'websocket',
      ...parseTestPath(path),
      headers,
      subprotocols,
    }
    if (specVersion !== undefined) scope.asgi = { version: '3.0', spec_version: specVersion }
    super(application, scope)
  }

  /**
   * Sends `websocket.connect` and reads the answer: `[true, subprotocol | null]` when
   * accepted, `[false, closeCode]` (1000 when the close has none) when refused.
   */
  async connect(options: TimeoutOptions = {}): Promise<ConnectResult> {
    await this.sendInput({ type: 'websocket.connect' })
    const response = await this.nextOutput('connect()', this.timeoutOf(options))
    if (response.type === 'websocket.close') {
      return [false, typeof response.code === 'number' ? response.code : 1000]
    }
    if (response.type !== 'websocket.accept') {
      throw new AssertionError({
        message: `Expected type 'websocket.accept' or 'websocket.close', but was '${response.type}'`,
      })
    }
    this.responseHeaders = Array.isArray(response.headers) ? (response.headers as Headers) : []
    return [true, typeof response.subprotocol === 'string' ? response.subprotocol : null]
  }

  /**
   * Sends one frame: exactly one of `textData` (a string) or `bytesData` (a Uint8Array).
   * Unlike Channels, an empty string or empty bytes can be sent. Mirrors `send_to`.
   */
  async sendTo(frame: FrameToSend): Promise<void> {
    const { textData, bytesData } = frame ?? {}
    const hasText = textData !== undefined && textData !== null
    const hasBytes = bytesData !== undefined && bytesData !== null
    if (hasText === hasBytes) {
      throw new TypeError('You must supply exactly one of textData or bytesData.')
    }
    if (hasText) {
      if (typeof textData !== 'string') {
        throw new TypeError(`The textData argument must be a string, not ${quoteValue(textData)}.`)
      }
      await this.sendInput({ type: 'websocket.receive', text: textData })
    } else {
      if (!(bytesData instanceof Uint8Array)) {
        throw new TypeError(
          `The bytesData argument must be a Uint8Array, not ${quoteValue(bytesData)}.`,
        )
      }
      await this.sendInput({ type: 'websocket.receive', bytes: bytesData })
    }
  }

  /** Sends `JSON.stringify(data)` as a text frame. Mirrors `send_json_to`. */
  async sendJsonTo(data: unknown): Promise<void> {
    const textData = JSON.stringify(data)
    if (textData === undefined) throw new TypeError(`Cannot encode ${quoteValue(data)} as JSON.`)
    await this.sendTo({ textData })
  }

  /**
   * Reads the next frame the application sends: a string or a Uint8Array. Anything but a
   * `websocket.send` is an AssertionError. Mirrors `receive_from`.
   */
  async receiveFrom(options: TimeoutOptions = {}): Promise<string | Uint8Array> {
    return this.#receiveFrame('receiveFrom()', options)
  }

  /** Reads the next frame, which must be text, and parses it as JSON. Mirrors `receive_json_from`. */
  async receiveJsonFrom(options: TimeoutOptions = {}): Promise<unknown> {
    const payload = await this.#receiveFrame('receiveJsonFrom()', options)
    if (typeof payload !== 'string') {
      throw new AssertionError({
        message: `JSON data is not a text frame, it is ${typeName(payload)}`,
      })
    }
    return JSON.parse(payload)
  }

  /**
   * Sends `websocket.disconnect` with `code` and waits for the application to finish.
   * Throws `CancelledError` if a timeout had cancelled it. Mirrors `disconnect(code=1000)`.
   */
  async disconnect(code = 1000, options: TimeoutOptions = {}): Promise<void> {
    await this.sendInput({ type: 'websocket.disconnect', code })
    await this.waitFor('disconnect()', this.timeoutOf(options))
  }

  async #receiveFrame(method: string, options: TimeoutOptions): Promise<string | Uint8Array> {
    const response = await this.nextOutput(method, this.timeoutOf(options))
    if (response.type !== 'websocket.send') {
      throw new AssertionError({
        message: `Expected type 'websocket.send', but was '${response.type}'`,
      })
    }
    const { text, bytes } = response
    const hasText = text !== undefined && text !== null
    const hasBytes = bytes !== undefined && bytes !== null
    if (hasText === hasBytes) {
      throw new AssertionError({ message: "The response needs exactly one of 'text' or 'bytes'" })
    }
    if (hasText) {
      if (typeof text !== 'string') {
        throw new AssertionError({
          message: `Text frame payload is not a string, it is ${typeName(text)}`,
        })
      }
      return text
    }
    if (!(bytes instanceof Uint8Array)) {
      throw new AssertionError({
        message: `Binary frame payload is not a Uint8Array, it is ${typeName(bytes)}`,
      })
    }
    return bytes
  }
}

import { AsyncConsumer, queueSendWith } from './consumer.js'
import {
  AcceptConnection,
  DenyConnection,
  InvalidChannelLayerError,
  StopConsumer,
} from './errors.js'
import { quoteValue as quote } from './quote-value.js'
import type { Headers, Message, WebSocketScope } from './types.js'

/** One incoming frame, as `receive()` gets it: exactly one of the two is set. */
export interface WebsocketFrame {
  textData?: string
  bytesData?: Uint8Array
}

/** Options of `accept()`. Mirrors `accept(subprotocol=None, headers=None)`. */
export interface AcceptOptions {
  /** The subprotocol chosen from `scope.subprotocols`. @default null */
  subprotocol?: string | null
  /** Extra handshake response headers (sent only when non-empty, as in Channels). */
  headers?: Headers
}

/** Options of `send()`. Mirrors `send(text_data=None, bytes_data=None, close=False)`. */
export interface WebsocketSendOptions extends WebsocketFrame {
  /** Close after sending: `true` closes with no code, a number closes with that code. */
  close?: boolean | number
}

/** Options of `close()`. Mirrors `close(code=None, reason=None)`. */
export interface CloseOptions {
  /** The close code; omitted from the message when undefined, null or `true`. */
  code?: number | boolean | null
  /** The close reason; sent only when non-empty. */
  reason?: string | null
}

/**
 * A WebSocket consumer: joins `groups` and calls `connect()`, `receive()` and `disconnect()`,
 * which may be sync or async. Mirrors `channels.generic.websocket.WebsocketConsumer` and
 * `AsyncWebsocketConsumer` (one class: JavaScript needs no sync twin).
 */
export class WebsocketConsumer extends AsyncConsumer {
  declare scope: WebSocketScope
  /** Groups joined on connect (before `connect()` runs) and left on disconnect. */
  groups: string[] = []

  /**
   * Turns what a relay returned (`{ textData }` or `{ bytesData }`, as `send()` takes) into
   * the `websocket.send` message it sends. A relay cannot close the connection.
   */
  static override relayMessage(output: unknown): Message {
    if (typeof output !== 'object' || output === null || 'close' in output) {
      throw new TypeError(
        `A WebsocketConsumer relay must return { textData } or { bytesData }, not ${quote(output)}.`,
      )
    }
    return sendMessage(output as WebsocketFrame)
  }

  /** Handles `websocket.connect`: joins `groups`, then calls `connect()`. */
  async websocket_connect(_message: Message): Promise<void> {
    if (this.groups.length > 0) await this.#forEachGroup(joinGroup)
    try {
      await this.connect()
    } catch (error) {
      if (error instanceof AcceptConnection) await this.accept()
      else if (error instanceof DenyConnection) await this.close()
      else throw error
    }
  }

  /**
   * Called when the client asks to connect. The default accepts; raise `DenyConnection` (or
   * call `close()`) to refuse, `AcceptConnection` to accept.
   */
  connect(): void | Promise<void> {
    return this.accept()
  }

  /**
   * Accepts the connection. The message always carries `subprotocol` (null when none).
   * Mirrors `accept()`.
   */
  accept(options: AcceptOptions = {}): Promise<void> {
    return queueSendWith(this, acceptMessage, options)
  }

  /**
   * Handles `websocket.receive`: text wins when `text` is not null, else `bytes`
   * (`{ text: null, bytes }` is fine). A frame with neither is a TypeError. Returns what
   * `receive()` returns, so a sync `receive()` keeps the whole path sync (it is the hot path).
   */
  websocket_receive(message: Message): void | Promise<void> {
    const { text, bytes } = message
    if (text !== undefined && text !== null) {
      if (typeof text !== 'string') {
        throw new TypeError(`A websocket.receive "text" must be a string, not ${quote(text)}.`)
      }
      return this.receive({ textData: text })
    }
    if (bytes instanceof Uint8Array) return this.receive({ bytesData: bytes })
    throw new TypeError(
      `A websocket.receive message needs a string "text" or a Uint8Array "bytes", got ${quote(message)}.`,
    )
  }

  /** Called with each frame from the client. The default ignores it. */
  receive(_frame: WebsocketFrame): void | Promise<void> {}

  /**
   * Sends a frame: text wins over bytes (an empty string is text); neither is an error.
   * `close: true` then closes with no code, `close: 4000` with that code. Mirrors `send()`.
   */
  send(options: WebsocketSendOptions): Promise<void> {
    const sent = queueSendWith(this, sendMessage, options)
    if (!options.close) return sent
    const closed = this.close({ code: options.close })
    const both = Promise.all([sent, closed]).then(() => undefined)
    // Like each send, the combined promise must not be "unhandled" when a sync handler drops it.
    both.catch(() => undefined)
    return both
  }

  /**
   * Closes the connection (before `accept()`, this rejects it: HTTP 403). `code` is omitted
   * when undefined, null or `true`; `reason` is sent only when non-empty. Mirrors `close()`.
   */
  close(options: CloseOptions = {}): Promise<void> {
    return queueSendWith(this, closeMessage, options)
  }

  /**
   * Handles `websocket.disconnect`: leaves `groups`, calls `disconnect(code)`, then ends the
   * instance. A disconnect without a code is reported as 1005 ("no status received", as the
   * ASGI spec says; Channels raises KeyError there).
   */
  async websocket_disconnect(message: Message): Promise<void> {
    if (this.groups.length > 0) await this.#forEachGroup(leaveGroup)
    const code = typeof message.code === 'number' ? message.code : 1005
    await this.disconnect(code)
    throw DISCONNECTED
  }

  /** Called when the connection has closed, with the close code. The default does nothing. */
  disconnect(_code: number): void | Promise<void> {}

  /** Joins or leaves (`act`) every group of `groups`; called only when there are some. */
  async #forEachGroup(act: GroupAction): Promise<void> {
    const layer = this.channelLayer
    if (layer === null || !layer.extensions.includes('groups')) {
      throw new InvalidChannelLayerError("BACKEND is unconfigured or doesn't support groups")
    }
    for (const group of this.groups) await act(layer, group, this.channelName)
  }
}

// --- helpers ---

type GroupAction = (
  layer: NonNullable<AsyncConsumer['channelLayer']>,
  group: string,
  channel: string,
) => Promise<void>

const joinGroup: GroupAction = (layer, group, channel) => layer.groupAdd(group, channel)
const leaveGroup: GroupAction = (layer, group, channel) => layer.groupDiscard(group, channel)

/** What `websocket_disconnect` ends the instance with: one shared StopConsumer, not one per connection. */
const DISCONNECTED = new StopConsumer()

/** The `websocket.accept` message of `accept(options)`. */
function acceptMessage(options: AcceptOptions): Message {
  const { subprotocol = null, headers } = options
  if (subprotocol !== null && typeof subprotocol !== 'string') {
    throw new TypeError(`The subprotocol must be a string or null, not ${quote(subprotocol)}.`)
  }
  const message: Message = { type: 'websocket.accept', subprotocol }
  if (headers !== undefined && !Array.isArray(headers)) {
    throw new TypeError(
      `The headers must be an array of [name, value] pairs, not ${quote(headers)}.`,
    )
  }
  if (headers && headers.length > 0) message.headers = [...headers]
  return message
}

/** The `websocket.send` message of `send(options)`: text wins over bytes. */
function sendMessage(options: WebsocketSendOptions): Message {
  const { textData, bytesData } = options
  if (textData !== undefined && textData !== null) {
    if (typeof textData !== 'string') {
      throw new TypeError(`textData must be a string, not ${quote(textData)}.`)
    }
    return { type: 'websocket.send', text: textData }
  }
  if (bytesData !== undefined && bytesData !== null) {
    if (!(bytesData instanceof Uint8Array)) {
      throw new TypeError(`bytesData must be a Uint8Array, not ${quote(bytesData)}.`)
    }
    return { type: 'websocket.send', bytes: bytesData }
  }
  throw new TypeError('You must pass one of bytesData or textData')
}

/** The `websocket.close` message of `close(options)`. */
function closeMessage(options: CloseOptions): Message {
  const { code, reason } = options
  const message: Message = { type: 'websocket.close' }
  if (typeof code === 'number') {
    if (!Number.isInteger(code))
      throw new TypeError(`A close code must be an integer, not ${quote(code)}.`)
    message.code = code
  } else if (code !== undefined && code !== null && typeof code !== 'boolean') {
    throw new TypeError(`A close code must be a number, not ${quote(code)}.`)
  }
  if (reason !== undefined && reason !== null && typeof reason !== 'string') {
    throw new TypeError(`A close reason must be a string, not ${quote(reason)}.`)
  }
  if (reason) message.reason = reason
  return message
}

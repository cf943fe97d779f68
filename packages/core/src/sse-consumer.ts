import { InvalidChannelLayerError } from './errors.js'
import { AsyncHttpConsumer, type ResponseHeaders } from './http-consumer.js'
import { quoteValue as quote } from './quote-value.js'
import {
  formatServerSentComment,
  formatServerSentEvent,
  type ServerSentEvent,
} from './sse-format.js'
import { type Headers, kServerShutdown, type Message } from './types.js'

/** Options of `startStream()`. */
export interface StartStreamOptions {
  /** Extra response headers, after the event-stream ones. */
  headers?: ResponseHeaders
  /** Sent first as `retry:`: the browser's reconnection delay, in milliseconds. */
  retryMs?: number
}

/** The headers every stream starts with. */
const STREAM_HEADERS: Headers = [
  ['content-type', 'text/event-stream; charset=utf-8'],
  ['cache-control', 'no-cache'],
  // nginx buffers responses unless told not to; an event stream must flow at once.
  ['x-accel-buffering', 'no'],
]

/**
 * An HTTP consumer that answers with a server-sent events stream (`text/event-stream`) and
 * keeps it open: it joins `groups` (then sends the headers), forwards channel-layer messages
 * to the client as events, and sends a `: keep-alive` comment every `keepAliveIntervalMs`.
 * A `groupSend(group, { type: 'sse.event', event, data, id })` reaches every stream in the
 * group, as a WebSocket consumer's handler would; define other handlers (`chat_message`)
 * that call `sendEvent()` for your own message types. The stream ends when the client goes
 * away, when `endStream()` is called, or when the server shuts down; the groups are then
 * left. Beyond Channels, which has no SSE consumer (django-eventstream fills the gap).
 *
 * @example
 * class RoomFeed extends ServerSentEventsConsumer {
 *   override async handle() {
 *     this.groups = [`chat_${this.scope.url_route?.kwargs.room_name}`]
 *     await this.startStream()
 *   }
 *   async chat_message(event: Message) {
 *     await this.sendEvent({ event: 'message', data: { text: event.message } })
 *   }
 * }
 */
export class ServerSentEventsConsumer extends AsyncHttpConsumer {
  /** Groups joined when the stream starts and left when it ends. */
  groups: string[] = []
  /** Interval of the `: keep-alive` comments; 0 sends none. @default 15000 */
  keepAliveIntervalMs = 15_000
  #keepAlive: NodeJS.Timeout | null = null
  #onShutdown: (() => void) | null = null
  #streaming = false

  /**
   * Called with the request body. The default starts the stream; override it to check the
   * request first, answering with `sendResponse()` to refuse it (e.g. 403 or 404).
   */
  override async handle(_body: Uint8Array): Promise<void> {
    await this.startStream()
  }

  /** The `Last-Event-ID` request header (sent by a reconnecting browser), or null. */
  get lastEventId(): string | null {
    const header = this.scope.headers.find(([name]) => name === 'last-event-id')
    return header === undefined ? null : header[1]
  }

  /** Joins `groups`, sends the event-stream headers, and starts the keep-alive comments. */
  async startStream(options: StartStreamOptions = {}): Promise<void> {
    if (this.#streaming) throw new TypeError('The stream has already started.')
    const { groups } = this
    if (groups.length > 0) {
      const layer = this.channelLayer
      if (layer === null || !layer.extensions.includes('groups')) {
        throw new InvalidChannelLayerError("BACKEND is unconfigured or doesn't support groups")
      }
      for (const group of groups) await layer.groupAdd(group, this.channelName)
    }
    const extra = options.headers ?? []
    const headers = Array.isArray(extra) ? extra : Object.entries(extra)
    const { retryMs } = options
    if (retryMs !== undefined && (!Number.isSafeInteger(retryMs) || retryMs < 0)) {
      throw new RangeError(
        `retryMs must be a whole number of milliseconds from 0, not ${quote(retryMs)}.`,
      )
    }
    await this.sendHeaders({ status: 200, headers: [...STREAM_HEADERS, ...headers] })
    this.#streaming = true
    // A first chunk at once: a server sends the headers with the first body chunk, and the
    // browser reports the stream open (EventSource `open`) only when it has them.
    await this.sendBody(retryMs === undefined ? ':\n\n' : `retry: ${retryMs}\n\n`, {
      moreBody: true,
    })
    this.#startKeepAlive()
    const shutdown = (this.scope as { [kServerShutdown]?: AbortSignal })[kServerShutdown]
    if (shutdown !== undefined) {
      // The server is shutting down: end the stream so it does not hold the shutdown up.
      this.#onShutdown = () => void this.endStream().catch(() => {})
      if (shutdown.aborted) this.#onShutdown()
      else shutdown.addEventListener('abort', this.#onShutdown, { once: true })
    }
  }

  /** Sends one event (see `ServerSentEvent`). */
  sendEvent(event: ServerSentEvent): Promise<void> {
    return this.#write(() => formatServerSentEvent(event))
  }

  /** Sends a comment line, which browsers ignore. */
  sendComment(comment: string): Promise<void> {
    return this.#write(() => formatServerSentComment(comment))
  }

  /** Ends the stream (the final, empty body); the instance then ends and leaves its groups. */
  async endStream(): Promise<void> {
    if (!this.#streaming) return
    this.#streaming = false
    this.#stop()
    await this.sendBody(new Uint8Array(0))
  }

  /** Handles `sse.event` messages from the channel layer: `{ event?, data, id? }` becomes an event. */
  async sse_event(message: Message): Promise<void> {
    const event: ServerSentEvent = { data: message.data }
    if (message.event !== undefined) event.event = message.event as string
    if (message.id !== undefined) event.id = message.id as string
    await this.sendEvent(event)
  }

  /** Stops the keep-alive comments once the instance ends, however it ends. */
  override async dispatch(message: Message): Promise<void> {
    try {
      await super.dispatch(message)
    } catch (error) {
      this.#streaming = false
      this.#stop()
      throw error
    }
  }

  #write(format: () => string): Promise<void> {
    let text: string
    try {
      if (!this.#streaming) {
        throw new TypeError('The stream is not open: call startStream() before sending events.')
      }
      text = format()
    } catch (error) {
      return Promise.reject(error)
    }
    return this.sendBody(text, { moreBody: true })
  }

  #startKeepAlive(): void {
    const interval = this.keepAliveIntervalMs
    if (!Number.isFinite(interval) || interval < 0) {
      throw new RangeError(
        `keepAliveIntervalMs must be a number of milliseconds from 0, not ${quote(interval)}.`,
      )
    }
    if (interval === 0) return
    this.#keepAlive = setInterval(() => {
      // A failed send means the stream is over: stop instead of retrying forever.
      this.sendComment('keep-alive').catch(() => this.#stop())
    }, interval)
    this.#keepAlive.unref()
  }

  #stop(): void {
    if (this.#keepAlive !== null) clearInterval(this.#keepAlive)
    this.#keepAlive = null
    const shutdown = (this.scope as { [kServerShutdown]?: AbortSignal })[kServerShutdown]
    if (this.#onShutdown !== null) shutdown?.removeEventListener('abort', this.#onShutdown)
    this.#onShutdown = null
  }
}

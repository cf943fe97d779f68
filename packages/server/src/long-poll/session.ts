import {
  type Application,
  type ChannelLayer,
  type Headers,
  InvalidChannelLayerError,
  type Message,
  quoteValue,
  requireValidChannelName,
  type WebSocketScope,
} from '@node-channels/core'
import {
  type AppExit,
  AppInstance,
  isRouteNotFound,
  logApplicationError,
  MessageQueue,
} from '../app-instance.js'
import type { ServerLogger } from '../options.js'
import type { ResolvedSecurityOptions } from '../security-options.js'
import { TokenBucket } from '../token-bucket.js'
import { type AcceptDecision, parseAccept, parseClose, parseSend } from '../websocket-messages.js'
import { type OutEvent, type SessionReply, type SessionRequest, sessionChannel } from './wire.js'

/** What a session needs from the transport. */
export interface SessionInit {
  id: string
  application: Application
  scope: WebSocketScope
  layer: ChannelLayer
  /** The `Origin` header of the `open` request; later requests must carry the same. */
  origin: string | null
  pollTimeoutMs: number
  sessionTimeoutMs: number
  connectTimeoutMs: number
  /** Output held for a client that does not poll, else close 1008; 0 for no bound. */
  maxBufferedBytes: number
  /** Largest frame the client may send (UTF-8 bytes of text), else close 1009; 0 for no bound. */
  maxMessageSize: number
  /** Frames the client may send, as for a WebSocket: over it, close 1008. */
  rateLimit: ResolvedSecurityOptions['websocketRateLimit']
  applicationCloseTimeoutMs: number
  logger: ServerLogger
  label: string
}

/** How the handshake ended: what `open` answers. */
export type Handshake =
  | { kind: 'accept'; subprotocol: string | null; headers: Headers }
  | { kind: 'refuse'; status: number; error: string }

type State = 'connecting' | 'open' | 'closing' | 'closed'

/** An outgoing event before it is numbered. */
type EventBody =
  | { type: 'text'; data: string }
  | { type: 'bytes'; data: string }
  | { type: 'close'; code: number; reason: string }

/** Most bytes of events in one poll answer (at least one event is always sent). */
const MAX_BATCH_BYTES = 512 * 1024
/** Received frames waiting for the application before `send` answers 503. */
const MAX_PENDING_INPUT = 256

/*
 * One long-poll session, in the process that opened it: its application instance sees a
 * WebSocket (websocket.connect, receive, disconnect), its output waits in an outbox until a
 * poll acknowledges it, and its input arrives on the layer channel `long-poll.<id>`, so any
 * process on the same layer can serve the client's requests.
 *
 *   CONNECTING ── accept ──► OPEN ── app close / app returns / buffer over / shutdown ──► CLOSING
 *       │ close, error,          │ client close, expiry (1006)                              │ close event acknowledged,
 *       ▼ timeout: refused       ▼                                                          ▼ or expiry
 *     CLOSED ◄───────────────────┴──────────────────────────────────────────────────────── CLOSED
 */
export class LongPollSession {
  readonly id: string
  readonly channel: string
  readonly instance: AppInstance
  /** Settles with the handshake's outcome. */
  readonly handshake: Promise<Handshake>
  /** Settles once the session is over (it no longer reads its channel). */
  readonly ended: Promise<void>
  readonly #init: SessionInit
  readonly #queue = new MessageQueue()
  readonly #reader = new AbortController()
  #state: State = 'connecting'
  #resolveHandshake: (handshake: Handshake) => void = () => {}
  #resolveEnded: () => void = () => {}
  #outbox: OutEvent[] = []
  #outboxBytes = 0
  #nextSeq = 1
  #closeSeq: number | null = null
  #lastInputSeq = 0
  #held: { reply: string; timer: NodeJS.Timeout } | null = null
  #bucket: TokenBucket | null = null
  #expiry: NodeJS.Timeout | null = null
  #disconnected = false

  constructor(init: SessionInit) {
    this.#init = init
    this.id = init.id
    this.channel = sessionChannel(init.id)
    this.handshake = new Promise((resolve) => {
      this.#resolveHandshake = resolve
    })
    this.ended = new Promise((resolve) => {
      this.#resolveEnded = resolve
    })
    this.#queue.put({ type: 'websocket.connect' })
    this.instance = new AppInstance({
      application: init.application,
      scope: init.scope,
      receive: () => this.#queue.get(),
      send: (message) => this.#fromApp(message),
      label: init.label,
      logger: init.logger,
    })
    void this.instance.exited.then((exit) => this.#appExited(exit))
    const timer = setTimeout(() => {
      if (this.#state === 'connecting')
        this.#refuse(504, 'The application did not accept the connection in time.')
    }, init.connectTimeoutMs)
    timer.unref()
    void this.handshake.then(() => clearTimeout(timer))
  }

  /** The server (or the transport) is shutting down: like a WebSocket closed with 1001. */
  shutdown(): void {
    if (this.#state === 'connecting') this.#refuse(503, 'The server is shutting down.')
    else if (this.#state === 'open') this.#closeFromServer(1001, 'Server shutting down')
  }

  // --- the application's side ---

  async #fromApp(message: Message): Promise<void> {
    const { type } = message
    if (this.#state === 'connecting') {
      if (type === 'websocket.accept') return this.#accept(message)
      if (type === 'websocket.close') {
        // ASGI: a close before accept refuses the handshake (a WebSocket client gets 403).
        this.#refuse(403, 'The application refused the connection.')
        return
      }
      const error = `Expected websocket.accept or websocket.close during the handshake, got ${quoteValue(type)}.`
      this.#refuse(500, 'The application failed during the handshake.')
      throw new TypeError(error)
    }
    if (this.#state !== 'open') return // after the close: dropped, as the server drops them
    // The server's own checks of what an application sends on a WebSocket.
    if (type === 'websocket.send') {
      const data = parseSend(message, this.#init.scope.path)
      if (typeof data === 'string') return this.#push({ type: 'text', data }, data.length)
      const base64 = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64')
      return this.#push({ type: 'bytes', data: base64 }, data.byteLength)
    }
    if (type === 'websocket.close') {
      const { code, reason } = parseClose(message)
      this.#closeFromServer(code, reason)
      return
    }
    throw new TypeError(`Cannot handle message type ${quoteValue(type)} on a WebSocket.`)
  }

  #accept(message: Message): void {
    let decision: AcceptDecision
    try {
      decision = parseAccept(message, this.#init.scope.subprotocols)
    } catch (error) {
      // As for a WebSocket handshake: an application error, answered 500.
      this.#refuse(500, 'The application failed during the handshake.')
      throw error
    }
    const { subprotocol, headers } = decision
    this.#state = 'open'
    const limit = this.#init.rateLimit
    if (limit !== null) this.#bucket = new TokenBucket(limit.messagesPerSecond, limit.burst)
    this.#resolveHandshake({ kind: 'accept', subprotocol, headers })
    this.#touch()
    void this.#read()
  }

  #refuse(status: number, error: string): void {
    if (this.#state !== 'connecting') return
    this.#resolveHandshake({ kind: 'refuse', status, error })
    this.#disconnect(1006, '')
    this.#finish()
  }

  #appExited(exit: AppExit): void {
    if (exit.kind === 'raised') logApplicationError(this.#init.logger, this.#init.label, exit.error)
    if (this.#state === 'connecting') {
      const notFound = exit.kind === 'raised' && isRouteNotFound(exit.error)
      this.#refuse(
        notFound ? 404 : 500,
        notFound ? 'No route for this path.' : 'The application ended during the handshake.',
      )
    } else if (this.#state === 'open') {
      // As the server does for a WebSocket: 1011 after an error, 1000 when it simply returned.
      this.#closeFromServer(exit.kind === 'raised' ? 1011 : 1000, '')
    }
  }

  /** Closes an open session for the client's fault, as the server fails a WebSocket. */
  #fail(code: number, reason: string, problem: string): void {
    this.#init.logger.warn(`${this.#init.label}: ${problem}; closing with ${code}.`)
    this.#closeFromServer(code, reason)
  }

  /** The server side closes: the client gets a close event, the application a disconnect. */
  #closeFromServer(code: number, reason: string): void {
    if (this.#state !== 'open') return
    this.#state = 'closing'
    this.#closeSeq = this.#nextSeq
    this.#push({ type: 'close', code, reason }, reason.length, true)
    this.#disconnect(code, reason)
  }

  #disconnect(code: number, reason: string): void {
    if (this.#disconnected) return
    this.#disconnected = true
    const message: Message = { type: 'websocket.disconnect', code }
    if (reason) message.reason = reason
    this.#queue.put(message)
    this.instance.closeWithin(this.#init.applicationCloseTimeoutMs)
  }

  #push(event: EventBody, size: number, closing = false): void {
    this.#outbox.push({ ...event, seq: this.#nextSeq++ } as OutEvent)
    this.#outboxBytes += size
    const { maxBufferedBytes } = this.#init
    if (
      !closing &&
      this.#state === 'open' &&
      maxBufferedBytes > 0 &&
      this.#outboxBytes > maxBufferedBytes
    ) {
      this.#closeFromServer(1008, 'Output buffer limit exceeded')
      return
    }
    if (this.#held) this.#answerHeld()
  }

  // --- the client's side, through the layer ---

  async #read(): Promise<void> {
    const { layer, logger } = this.#init
    const signal = this.#reader.signal
    let retryMs = 100
    while (!signal.aborted) {
      let message: Message
      try {
        message = await layer.receive(this.channel, { signal })
      } catch (error) {
        if (signal.aborted) break
        if (error instanceof InvalidChannelLayerError || error instanceof TypeError) {
          logger.debug(`Long-poll session ${this.id} stops reading: ${(error as Error).message}`)
          this.#closeFromServer(1011, '')
          this.#finish()
          break
        }
        logger.error(
          `Long-poll session ${this.id} could not read its channel; retrying in ${retryMs} ms.`,
          error,
        )
        await new Promise((resolve) => setTimeout(resolve, retryMs))
        retryMs = Math.min(retryMs * 2, 5000)
        continue
      }
      retryMs = 100
      try {
        await this.#handle(message as SessionRequest)
      } catch (error) {
        logger.error(
          `Long-poll session ${this.id} could not handle ${quoteValue(message.type)}:`,
          error,
        )
      }
    }
  }

  async #handle(request: SessionRequest): Promise<void> {
    if (typeof request.reply !== 'string') return
    requireValidChannelName(request.reply)
    // Browsers send Origin on every cross-origin request (and same-origin POSTs), so a
    // different one means another site; none at all is a same-origin GET or not a browser.
    if (typeof request.origin === 'string' && request.origin !== this.#init.origin) {
      await this.#reply(request.reply, {
        type: 'long_poll.error',
        status: 403,
        error: 'This session belongs to another origin.',
      })
      return
    }
    if (request.type === 'long_poll.poll')
      return this.#poll(request.reply, Number(request.ack) || 0)
    if (request.type === 'long_poll.send') return this.#receiveFrames(request)
    if (request.type === 'long_poll.close') {
      await this.#reply(request.reply, { type: 'long_poll.ok' })
      if (this.#state === 'open') this.#disconnect(request.code, request.reason)
      this.#finish()
    }
  }

  async #poll(reply: string, ack: number): Promise<void> {
    this.#touch()
    this.#outbox = this.#outbox.filter((event) => {
      if (event.seq > ack) return true
      this.#outboxBytes -= event.type === 'close' ? event.reason.length : event.data.length
      return false
    })
    if (this.#closeSeq !== null && ack >= this.#closeSeq) {
      // The client has the close event: the session is over.
      await this.#reply(reply, { type: 'long_poll.events', events: [] })
      this.#finish()
      return
    }
    if (this.#held) {
      // A newer poll replaces the held one (its client gave up on it); nothing is lost, since
      // events count as delivered only once a later poll acknowledges them.
      clearTimeout(this.#held.timer)
      await this.#reply(this.#held.reply, { type: 'long_poll.events', events: [] })
      this.#held = null
    }
    if (this.#outbox.length > 0) {
      await this.#reply(reply, { type: 'long_poll.events', events: this.#batch() })
      return
    }
    const timer = setTimeout(() => {
      if (this.#held?.reply !== reply) return
      this.#held = null
      this.#touch()
      void this.#reply(reply, { type: 'long_poll.events', events: [] })
    }, this.#init.pollTimeoutMs)
    timer.unref()
    this.#held = { reply, timer }
    await this.#reply(reply, { type: 'long_poll.wait' })
  }

  #answerHeld(): void {
    const held = this.#held
    if (!held) return
    this.#held = null
    clearTimeout(held.timer)
    this.#touch()
    void this.#reply(held.reply, { type: 'long_poll.events', events: this.#batch() })
  }

  #batch(): OutEvent[] {
    const batch: OutEvent[] = []
    let bytes = 0
    for (const event of this.#outbox) {
      const size = event.type === 'close' ? event.reason.length : event.data.length
      if (batch.length > 0 && bytes + size > MAX_BATCH_BYTES) break
      batch.push(event)
      bytes += size
    }
    return batch
  }

  async #receiveFrames(
    request: Extract<SessionRequest, { type: 'long_poll.send' }>,
  ): Promise<void> {
    const { reply, seq, frames } = request
    if (!Number.isSafeInteger(seq) || !Array.isArray(frames)) return
    if (this.#state !== 'open') {
      // The connection is closing: frames are dropped, as a closed WebSocket drops them.
      await this.#reply(reply, { type: 'long_poll.ok' })
      return
    }
    if (seq > this.#lastInputSeq + 1) {
      await this.#reply(reply, {
        type: 'long_poll.error',
        status: 409,
        error: `Frames are missing: expected seq ${this.#lastInputSeq + 1}, got ${seq}.`,
      })
      return
    }
    if (this.#queue.size > MAX_PENDING_INPUT) {
      await this.#reply(reply, {
        type: 'long_poll.error',
        status: 503,
        error: 'The application is not keeping up; send again later.',
      })
      return
    }
    const { maxMessageSize } = this.#init
    for (const [index, frame] of frames.entries()) {
      if (seq + index <= this.#lastInputSeq) continue // already delivered: a retried request
      // The WebSocket limits, frame by frame: what passes them is delivered, the rest dropped.
      const size = 'text' in frame ? Buffer.byteLength(frame.text) : frame.bytes.byteLength
      if (maxMessageSize > 0 && size > maxMessageSize) {
        this.#fail(
          1009,
          'Message too big',
          `sent a frame over websocketMaxMessageSize (${size} bytes)`,
        )
        break
      }
      if (this.#bucket !== null && !this.#bucket.take()) {
        this.#fail(
          1008,
          'Message rate limit exceeded',
          'sent messages faster than websocketRateLimit allows',
        )
        break
      }
      const message: Message = { type: 'websocket.receive' }
      if ('text' in frame) message.text = frame.text
      else message.bytes = frame.bytes
      this.#queue.put(message)
      this.#lastInputSeq = seq + index
    }
    await this.#reply(reply, { type: 'long_poll.ok' })
  }

  async #reply(channel: string, message: SessionReply): Promise<void> {
    try {
      await this.#init.layer.send(channel, message)
    } catch (error) {
      this.#init.logger.debug(
        `Long-poll session ${this.id} could not answer on ${channel}: ${(error as Error).message}`,
      )
    }
  }

  /** A poll arrived: the client is alive; the session expires `sessionTimeoutMs` after the last one. */
  #touch(): void {
    if (this.#expiry !== null) clearTimeout(this.#expiry)
    this.#expiry = setTimeout(() => {
      if (this.#held) return this.#touch()
      this.#init.logger.debug(
        `Long-poll session ${this.id} expired: no poll for ${this.#init.sessionTimeoutMs} ms.`,
      )
      if (this.#state === 'open') this.#disconnect(1006, '')
      this.#finish()
    }, this.#init.sessionTimeoutMs)
    this.#expiry.unref()
  }

  #finish(): void {
    if (this.#state === 'closed') return
    this.#state = 'closed'
    this.#reader.abort()
    if (this.#expiry !== null) clearTimeout(this.#expiry)
    const held = this.#held
    this.#held = null
    if (held) {
      clearTimeout(held.timer)
      void this.#reply(held.reply, { type: 'long_poll.events', events: this.#batch() })
    }
    this.#disconnect(1006, '')
    this.#resolveEnded()
  }
}

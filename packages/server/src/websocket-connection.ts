import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { EventReceiver, Message, WebSocketScope } from '@node-channels/core'
import { clientHost } from './access-log.js'
import {
  type AppExit,
  AppInstance,
  type AppIo,
  type CancelledError,
  isRouteNotFound,
  logApplicationError,
  MessageQueue,
} from './app-instance.js'
import { ClientLimits } from './client-limits.js'
import type { ConnectionHost } from './connection-host.js'
import type { Deadline } from './deadline-queue.js'
import { HeldSocket } from './held-socket.js'
import { decodeText } from './websocket-frames.js'
import { checkHeartbeat, type HeartbeatPeer, PEER_DEAD } from './websocket-heartbeat.js'
import type { SocketEvents, WebSocketLink } from './websocket-link.js'
import { type AcceptDecision, parseAccept, parseClose, parseSend } from './websocket-messages.js'
import type { BatchPlace } from './websocket-output.js'

/** Incoming messages queued for a slow application before the socket stops being read. */
const INPUT_HIGH_WATER = 64
const INPUT_LOW_WATER = 16

type State = 'connecting' | 'open' | 'closing' | 'closed'

/**
 * One WebSocket connection and its application instance, from the held handshake to the
 * disconnect; see the lifecycle diagram in websocket-handler.ts.
 * Mirrors `daphne.ws_protocol.WebSocketProtocol`.
 */
export class WebSocketConnection
  implements AppIo, BatchPlace, Deadline, HeartbeatPeer, SocketEvents
{
  /** The deadline queue's bookkeeping: the handshake timeout, then the next heartbeat check. */
  deadlineSlot = -1
  deadlineAt = 0
  /**
   * When the socket last gave bytes (`performance.now()` in whole milliseconds, so that V8
   * keeps it in the object rather than in a number box of its own): the heartbeat's and rate
   * limit's clock.
   */
  heardAt = 0
  /** When the unanswered heartbeat ping went out, or -1. */
  pingSentAt = -1
  /** The output batch's bookkeeping: where this socket's output of the turn is kept. */
  batchSlot = -1
  readonly #host: ConnectionHost
  /** The raw socket, which the link writes to after the upgrade (and so does `OutputBatch`). */
  readonly #socket: Duplex
  /** What the connection needs of its scope (the application keeps the scope, not the connection). */
  readonly #path: string
  readonly #client: WebSocketScope['client']
  readonly #subprotocols: readonly string[]
  /** Watches the socket, and keeps the request, while the handshake is held. */
  #held: HeldSocket | null
  readonly #queue = new MessageQueue()
  readonly #instance: AppInstance
  #state: State = 'connecting'
  /** The WebSocket protocol on the socket, once the upgrade completed. */
  #link: WebSocketLink | null = null
  #lifetimeTimer: NodeJS.Timeout | null = null
  /** Made when the client first sends bytes, with a message timeout or rate limit set. */
  #limits: ClientLimits | null = null
  /** Set when the server failed the connection for the client's fault; the application gets it. */
  #failCode: number | null = null

  constructor(
    host: ConnectionHost,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    scope: WebSocketScope,
  ) {
    this.#host = host
    this.#socket = socket
    this.#path = scope.path
    this.#client = scope.client
    this.#subprotocols = scope.subprotocols
    const { options } = host.context
    this.#held = new HeldSocket(
      req,
      socket,
      head,
      () => {
        if (this.#state !== 'connecting') return
        this.#log('WSDISCONNECT', 1006)
        this.#finish(1006, '')
      },
      () =>
        options.logger.warn(`${this.label}: sent data before the handshake completed; dropped.`),
    )
    host.deadlines.schedule(this, performance.now() + options.websocketConnectTimeoutMs)
    this.#instance = new AppInstance(
      { application: host.context.application, scope, logger: options.logger },
      this,
    )
    host.context.registry.add(this.#instance)
    this.#log('WSCONNECTING')
    this.#queue.put({ type: 'websocket.connect' })
  }

  /**
   * Names the connection in log lines, e.g. `WebSocket /ws/ from 127.0.0.1:5000` (the path
   * without its query string; the client as the scope has it). Built when a line is written.
   */
  get label(): string {
    const client = this.#client
    return `WebSocket ${this.#path} from ${client ? `${client[0]}:${client[1]}` : 'unknown peer'}`
  }

  /** Graceful shutdown: a pending handshake is answered 503, an open socket closed with 1001. */
  shutdown(): void {
    if (this.#state === 'connecting') this.#refuse(503, 'Service Unavailable')
    else if (this.#state === 'open') this.#close(1001, 'Server shutting down')
  }

  /** The deadline came: the handshake timed out, or the heartbeat checks on the client. */
  deadlineReached(now: number): void {
    const { options } = this.#host.context
    if (this.#state === 'connecting') {
      options.logger.warn(
        `${this.label}: the application did not accept or close within ` +
          `${options.websocketConnectTimeoutMs} ms; answered 504.`,
      )
      this.#refuse(504, 'Gateway Timeout')
      return
    }
    const link = this.#link
    if (this.#state === 'closed' || link === null) return
    const wait = checkHeartbeat(this, link, now, options.pingIntervalMs, options.pingTimeoutMs)
    if (wait === PEER_DEAD) {
      options.logger.warn(
        `${this.label}: no answer to a ping within ${options.pingTimeoutMs} ms; dropped.`,
      )
      link.terminate()
      return
    }
    this.#host.deadlines.schedule(this, now + wait)
  }

  // --- the held handshake ---

  #accept(decision: AcceptDecision): void {
    const socket = this.#socket
    const held = this.#held
    if (socket.destroyed || held === null) return
    this.#clearTimers()
    const head = held.release()
    this.#held = null
    // The link puts early bytes back into the socket; the resume() in #opened makes them flow.
    if (head.length > 0) socket.pause()
    const { options } = this.#host.context
    const rawBytes =
      options.pingIntervalMs > 0 ||
      options.websocketMessageTimeoutMs !== null ||
      options.websocketRateLimit !== null
    const link = this.#host.upgrade(held.req, socket, head, decision, this, rawBytes)
    if (link === null) {
      // The socket was half-closed already, and destroyed.
      this.#log('WSDISCONNECT', 1006)
      this.#finish(1006, '')
    } else {
      this.#opened(link)
    }
  }

  /** Answers the handshake with an HTTP status instead of 101; the application sees 1006. */
  #refuse(status: number, reason: string): void {
    if (this.#state !== 'connecting') return
    this.#held?.detach()
    this.#held = null
    this.#host.refuse(this.#socket, status, reason)
    this.#log('WSREJECT', status)
    this.#finish(1006, '')
  }

  // --- the open socket ---

  #opened(link: WebSocketLink): void {
    const { options } = this.#host.context
    const socket = this.#socket
    this.#link = link
    this.#state = 'open'
    if (socket.isPaused()) socket.resume()
    this.#log('WSCONNECT')
    const now = performance.now()
    this.heardAt = Math.floor(now)
    const pingIntervalMs = options.pingIntervalMs
    if (pingIntervalMs > 0) this.#host.deadlines.schedule(this, now + pingIntervalMs)
    const lifetimeMs = options.websocketTimeoutMs
    if (lifetimeMs !== null) {
      this.#lifetimeTimer = setTimeout(
        () => this.#close(1000, 'Connection lifetime exceeded'),
        lifetimeMs,
      )
    }
  }

  // --- the socket's events (see websocket-link.ts) ---

  /** The client broke the protocol; the application is told the code the link closes with. */
  failed(error: Error & { code?: string }, closeCode: number): void {
    this.#failCode ??= closeCode
    this.#host.context.options.logger.warn(
      `${this.label}: ${error.message} (${error.code ?? 'error'}); closing.`,
    )
  }

  /** The socket closed. */
  ended(code: number, reason: Buffer): void {
    // After failing a connection the link reads no more, so the client's reply is unknown: the
    // application is told the code the server sent (1002/1007/1008/1009).
    const failed = this.#failCode
    this.#log('WSDISCONNECT', failed ?? code)
    this.#finish(failed ?? code, failed === null ? reason.toString('utf8') : '')
  }

  /** The link writes a frame of its own next: what the batch holds for the socket goes first. */
  releaseOutput(): void {
    this.#host.output.release(this.#socket, this)
  }

  /** Bytes from the client, before they are parsed. */
  heard(chunk: Buffer): void {
    const now = performance.now()
    this.heardAt = Math.floor(now)
    let limits = this.#limits
    if (limits === null) {
      const { options } = this.#host.context
      if (options.websocketMessageTimeoutMs === null && options.websocketRateLimit === null) return
      if (this.#state === 'closed') return
      limits = new ClientLimits(this.#socket, options, (code, reason, problem) =>
        this.#fail(code, reason, problem),
      )
      this.#limits = limits
    }
    limits.push(chunk, now)
  }

  /** A message from the client. */
  received(data: Buffer, isBinary: boolean): void {
    if (this.#limits !== null && !this.#limits.admit(this.heardAt)) return
    const queue = this.#queue
    if (isBinary) {
      queue.put({ type: 'websocket.receive', bytes: data })
    } else {
      const text = decodeText(data)
      // ws's parser checked the bytes are UTF-8: a large text sent back this turn can reuse them.
      this.#host.output.decoded(text, data)
      queue.put({ type: 'websocket.receive', text })
    }
    const link = this.#link
    if (queue.size >= INPUT_HIGH_WATER && link !== null && !link.isPaused) link.pause()
  }

  /** Closes an open socket for the client's fault; the application is told the same code. */
  #fail(code: number, reason: string, problem: string): void {
    if (this.#state !== 'open') return
    this.#host.context.options.logger.warn(`${this.label}: ${problem}; closing with ${code}.`)
    this.#failCode = code
    this.#close(code, reason)
  }

  /** Starts the closing handshake; frames sent before it leave first (same socket, in order). */
  #close(code: number, reason: string): void {
    if (this.#state !== 'open' || this.#link === null) return
    this.#state = 'closing'
    this.#link.close(code, reason)
  }

  /** The connection is over: deliver `websocket.disconnect` exactly once, start the close timeout. */
  #finish(code: number, reason: string): void {
    if (this.#state === 'closed') return
    this.#state = 'closed'
    this.#clearTimers()
    this.#limits?.stop()
    this.#held = null
    this.#link?.resume()
    this.#queue.put({ type: 'websocket.disconnect', code, reason })
    this.#instance.closeWithin(this.#host.context.options.applicationCloseTimeoutMs)
    this.#host.connectionClosed(this)
  }

  // --- the application's side ---

  /** The next event for the application: as it is when one is queued, else a promise of it. */
  receive(): Message | Promise<Message> {
    return this.#take() ?? this.#queue.wait()
  }

  /** `receive()` without a promise: the next event goes to `receiver`, at once when one is queued. */
  receiveInto(receiver: EventReceiver): void {
    const message = this.#take()
    if (message === undefined) this.#queue.takeInto(receiver)
    else receiver.deliver(message)
  }

  /** The oldest queued event; a socket paused for backpressure resumes once few are left. */
  #take(): Message | undefined {
    const queue = this.#queue
    const message = queue.take()
    if (message === undefined) return undefined
    const link = this.#link
    if (link?.isPaused && queue.size <= INPUT_LOW_WATER && this.#state !== 'closed') link.resume()
    return message
  }

  /** Rejects the application's waiting receives (it was abandoned). */
  cancelReceives(error: CancelledError): void {
    this.#queue.cancelWaiting(error)
  }

  /** Carries out one event of the application; throws what its `send()` rejects with. */
  send(message: Message): undefined {
    const { type } = message
    if (type === 'websocket.send' && this.#state === 'open') {
      this.#write(parseSend(message, this.#path))
      return
    }
    if (type !== 'websocket.accept' && type !== 'websocket.send' && type !== 'websocket.close') {
      throw this.#invalid(`Cannot handle message type ${type}!`)
    }
    if (this.#state === 'connecting') {
      if (type === 'websocket.accept') {
        let decision: AcceptDecision
        try {
          decision = parseAccept(message, this.#subprotocols)
        } catch (error) {
          throw this.#invalid((error as Error).message)
        }
        this.#accept(decision)
      } else if (type === 'websocket.close') {
        // ASGI: a close before accept is an HTTP 403; the close code is not used (as Daphne).
        this.#refuse(403, 'Access denied')
      } else {
        throw this.#invalid('Socket has not been accepted, so cannot send over it')
      }
      return
    }
    if (this.#state !== 'open' || this.#link === null) return // after a disconnect: dropped, as Daphne
    if (type === 'websocket.accept') throw new Error('Socket has already been accepted')
    if (type === 'websocket.close') {
      const { code, reason } = parseClose(message)
      this.#close(code, reason)
    }
  }

  /** Sends one frame, then closes with 1008 if the client owes more than `maxBufferedBytes`. */
  #write(payload: string | Uint8Array): void {
    // Once its closing handshake began, nothing more is sent.
    if (this.#link === null || !this.#link.isOpen) return
    // What the batch holds for the socket plus what the socket holds unsent (see websocket-output.ts).
    const buffered = this.#host.output.write(this.#socket, payload, this)
    const { maxBufferedBytes, logger } = this.#host.context.options
    if (maxBufferedBytes > 0 && buffered > maxBufferedBytes) {
      logger.warn(
        `${this.label}: over ${maxBufferedBytes} bytes of output waiting for a slow client; closing with 1008.`,
      )
      this.#failCode = 1008
      this.#close(1008, 'Output buffer limit exceeded')
    }
  }

  /** An invalid message during the handshake is an application error: HTTP 500. */
  #invalid(problem: string): Error {
    if (this.#state === 'connecting') {
      this.#host.context.options.logger.error(
        `Application for ${this.label} sent an invalid message during the handshake: ${problem}; answered 500.`,
      )
      this.#refuse(500, 'Internal Server Error')
    }
    return new Error(problem)
  }

  /** The application returned or raised: a pending handshake is answered, an open socket closed. */
  applicationExited(exit: AppExit): void {
    const { logger } = this.#host.context.options
    if (exit.kind === 'raised') {
      logApplicationError(logger, this.label, exit.error)
      if (this.#state === 'connecting') {
        if (isRouteNotFound(exit.error)) this.#refuse(404, 'Not Found')
        else this.#refuse(500, 'Internal Server Error')
      }
      this.#close(1011, 'Internal server error')
    } else if (exit.kind === 'returned') {
      if (this.#state === 'connecting') {
        logger.error(
          `Application for ${this.label} returned without accepting or closing; answered 500.`,
        )
        this.#refuse(500, 'Internal Server Error')
      }
      // Daphne leaves a socket open after its application returned; we close it.
      this.#close(1000, '')
    }
  }

  #clearTimers(): void {
    this.#host.deadlines.cancel(this)
    if (this.#lifetimeTimer !== null) clearTimeout(this.#lifetimeTimer)
    this.#lifetimeTimer = null
  }

  #log(action: string, status: number | null = null): void {
    this.#host.context.accessLog?.({
      host: clientHost(this.#client),
      request: `${action} ${this.#path}`,
      status,
    })
  }
}

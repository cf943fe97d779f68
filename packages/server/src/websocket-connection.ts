import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Message, WebSocketScope } from '@node-channels/core'
import type { WebSocket } from 'ws'
import { clientHost } from './access-log.js'
import {
  type AppExit,
  AppInstance,
  isRouteNotFound,
  logApplicationError,
  MessageQueue,
} from './app-instance.js'
import { HeldSocket } from './held-socket.js'
import { watchMessages } from './message-watch.js'
import { describePeer } from './scope.js'
import type { ServerContext } from './server-context.js'
import { TokenBucket } from './token-bucket.js'
import { Heartbeat } from './websocket-heartbeat.js'
import { type AcceptDecision, parseAccept, parseClose, parseSend } from './websocket-messages.js'

/** Incoming messages queued for a slow application before the socket stops being read. */
const INPUT_HIGH_WATER = 64
const INPUT_LOW_WATER = 16
/** The close code ws sends for each of its receiver errors (it stops reading afterwards). */
const FAIL_CODES: Record<string, number> = {
  WS_ERR_INVALID_UTF8: 1007,
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 1009,
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: 1009,
  WS_ERR_TOO_MANY_BUFFERED_PARTS: 1008,
}

/** What a connection needs from the handler that created it. */
export interface ConnectionInit {
  context: ServerContext
  req: IncomingMessage
  socket: Duplex
  head: Buffer
  scope: WebSocketScope
  /** Completes the upgrade (101) with ws; calls `onOpen` synchronously unless the socket died. */
  upgrade: (decision: AcceptDecision, head: Buffer, onOpen: (ws: WebSocket) => void) => void
  /** Writes a raw HTTP response on the socket and closes it. */
  refuse: (socket: Duplex, status: number, reason: string) => void
}

type State = 'connecting' | 'open' | 'closing' | 'closed'

/**
 * One WebSocket connection and its application instance, from the held handshake to the
 * disconnect; see the lifecycle diagram in websocket-handler.ts.
 * Mirrors `daphne.ws_protocol.WebSocketProtocol`.
 */
export class WebSocketConnection {
  /** Settles once the socket is closed and the application has been told. */
  readonly closed: Promise<void>
  readonly #init: ConnectionInit
  readonly #queue = new MessageQueue()
  readonly #instance: AppInstance
  readonly #label: string
  #state: State = 'connecting'
  #ws: WebSocket | null = null
  readonly #held: HeldSocket
  #timers: NodeJS.Timeout[] = []
  #heartbeat: Heartbeat | null = null
  #disconnectSent = false
  /** Set when the server failed the connection for the client's fault; the application gets it. */
  #failCode: number | null = null
  /** Set once the client went over `websocketRateLimit`: its further messages are dropped. */
  #flooded = false
  #stopWatch: (() => void) | null = null
  #resolveClosed: () => void = () => {}

  constructor(init: ConnectionInit) {
    this.#init = init
    this.#label = `WebSocket ${init.req.url} from ${describePeer(init.req)}`
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve
    })
    const { options } = init.context
    this.#held = new HeldSocket(
      init.socket,
      init.head,
      () => {
        if (this.#state !== 'connecting') return
        this.#log('WSDISCONNECT', 1006)
        this.#finish(1006, '')
      },
      () =>
        options.logger.warn(`${this.#label}: sent data before the handshake completed; dropped.`),
    )
    this.#timer(options.websocketConnectTimeoutMs, () => {
      options.logger.warn(
        `${this.#label}: the application did not accept or close within ` +
          `${options.websocketConnectTimeoutMs} ms; answered 504.`,
      )
      this.#refuse(504, 'Gateway Timeout')
    })
    this.#instance = new AppInstance({
      application: init.context.application,
      scope: init.scope,
      receive: () => this.#receive(),
      send: (message) => this.#send(message),
      label: this.#label,
      logger: options.logger,
    })
    init.context.registry.add(this.#instance)
    this.#log('WSCONNECTING')
    this.#queue.put({ type: 'websocket.connect' })
    void this.#instance.exited.then((exit) => this.#exit(exit))
  }

  /** Graceful shutdown: a pending handshake is answered 503, an open socket closed with 1001. */
  shutdown(): void {
    if (this.#state === 'connecting') this.#refuse(503, 'Service Unavailable')
    else if (this.#state === 'open') this.#close(1001, 'Server shutting down')
  }

  // --- the held handshake ---

  #accept(decision: AcceptDecision): void {
    const { socket } = this.#init
    if (socket.destroyed) return
    this.#clearTimers()
    const head = this.#held.release()
    this.#init.upgrade(decision, head, (ws) => this.#opened(ws))
    if (this.#ws === null) {
      // ws found the socket half-closed and destroyed it.
      this.#log('WSDISCONNECT', 1006)
      this.#finish(1006, '')
    }
  }

  /** Answers the handshake with an HTTP status instead of 101; the application sees 1006. */
  #refuse(status: number, reason: string): void {
    if (this.#state !== 'connecting') return
    this.#held.detach()
    this.#init.refuse(this.#init.socket, status, reason)
    this.#log('WSREJECT', status)
    this.#finish(1006, '')
  }

  // --- the open socket ---

  #opened(ws: WebSocket): void {
    const { options } = this.#init.context
    this.#ws = ws
    this.#state = 'open'
    this.#log('WSCONNECT')
    const heartbeat = new Heartbeat(ws, options.pingIntervalMs, options.pingTimeoutMs, () => {
      options.logger.warn(
        `${this.#label}: no answer to a ping within ${options.pingTimeoutMs} ms; dropped.`,
      )
      ws.terminate()
    })
    this.#heartbeat = heartbeat
    const limit = options.websocketRateLimit
    const bucket = limit && new TokenBucket(limit.messagesPerSecond, limit.burst)
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (this.#flooded) return
      if (bucket !== null && !bucket.take()) {
        this.#flooded = true
        this.#fail(
          1008,
          'Message rate limit exceeded',
          'sent messages faster than websocketRateLimit allows',
        )
        return
      }
      heartbeat.touch()
      this.#queue.put(
        isBinary
          ? { type: 'websocket.receive', bytes: data }
          : { type: 'websocket.receive', text: data.toString('utf8') },
      )
      if (this.#queue.size >= INPUT_HIGH_WATER && !ws.isPaused) ws.pause()
    })
    ws.on('pong', () => heartbeat.touch())
    ws.on('ping', () => heartbeat.touch())
    ws.on('error', (error: Error & { code?: string }) => {
      const code = error.code ?? 'error'
      if (code.startsWith('WS_ERR_')) this.#failCode ??= FAIL_CODES[code] ?? 1002
      options.logger.warn(`${this.#label}: ${error.message} (${code}); closing.`)
    })
    ws.on('close', (code: number, reason: Buffer) => {
      // After failing a connection ws reads no more, so the client's reply is unknown: the
      // application is told the code the server sent (1002/1007/1008/1009).
      const failed = this.#failCode
      this.#log('WSDISCONNECT', failed ?? code)
      this.#finish(failed ?? code, failed === null ? reason.toString('utf8') : '')
    })
    if (options.websocketTimeoutMs !== null) {
      this.#timer(options.websocketTimeoutMs, () =>
        this.#close(1000, 'Connection lifetime exceeded'),
      )
    }
    const timeoutMs = options.websocketMessageTimeoutMs
    if (timeoutMs !== null) {
      // Before resume(), so that the watch sees the bytes sent with the handshake too.
      this.#stopWatch = watchMessages(this.#init.socket, timeoutMs, () =>
        this.#fail(
          1008,
          'Message not completed in time',
          `left a message unfinished for ${timeoutMs} ms`,
        ),
      )
    }
    this.#init.socket.resume()
  }

  /** Closes an open socket for the client's fault; the application is told the same code. */
  #fail(code: number, reason: string, problem: string): void {
    if (this.#state !== 'open') return
    this.#init.context.options.logger.warn(`${this.#label}: ${problem}; closing with ${code}.`)
    this.#failCode = code
    this.#close(code, reason)
  }

  #close(code: number, reason: string): void {
    if (this.#state !== 'open' || this.#ws === null) return
    this.#state = 'closing'
    this.#ws.close(code, reason)
  }

  /** The connection is over: deliver `websocket.disconnect` exactly once, start the close timeout. */
  #finish(code: number, reason: string): void {
    if (this.#disconnectSent) return
    this.#disconnectSent = true
    this.#state = 'closed'
    this.#clearTimers()
    this.#heartbeat?.stop()
    this.#stopWatch?.()
    this.#ws?.resume()
    this.#queue.put({ type: 'websocket.disconnect', code, reason })
    this.#instance.closeWithin(this.#init.context.options.applicationCloseTimeoutMs)
    this.#resolveClosed()
  }

  // --- the application's side ---

  async #receive(): Promise<Message> {
    const message = await this.#queue.get()
    const ws = this.#ws
    if (ws?.isPaused && this.#queue.size <= INPUT_LOW_WATER && this.#state !== 'closed') ws.resume()
    return message
  }

  async #send(message: Message): Promise<void> {
    const { type } = message
    if (type !== 'websocket.accept' && type !== 'websocket.send' && type !== 'websocket.close') {
      throw this.#invalid(`Cannot handle message type ${type}!`)
    }
    if (this.#state === 'connecting') {
      if (type === 'websocket.accept') {
        let decision: AcceptDecision
        try {
          decision = parseAccept(message, this.#init.scope.subprotocols)
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
    if (this.#state !== 'open' || this.#ws === null) return // after a disconnect: dropped, as Daphne
    if (type === 'websocket.accept') throw new Error('Socket has already been accepted')
    if (type === 'websocket.close') {
      const { code, reason } = parseClose(message)
      this.#close(code, reason)
      return
    }
    const frame = parseSend(message, this.#init.scope.path)
    const ws = this.#ws
    ws.send(frame.data, { binary: frame.binary })
    const { maxBufferedBytes, logger } = this.#init.context.options
    if (maxBufferedBytes > 0 && ws.bufferedAmount > maxBufferedBytes) {
      logger.warn(
        `${this.#label}: over ${maxBufferedBytes} bytes of output waiting for a slow client; closing with 1008.`,
      )
      this.#failCode = 1008
      this.#close(1008, 'Output buffer limit exceeded')
    }
  }

  /** An invalid message during the handshake is an application error: HTTP 500. */
  #invalid(problem: string): Error {
    if (this.#state === 'connecting') {
      this.#init.context.options.logger.error(
        `Application for ${this.#label} sent an invalid message during the handshake: ${problem}; answered 500.`,
      )
      this.#refuse(500, 'Internal Server Error')
    }
    return new Error(problem)
  }

  #exit(exit: AppExit): void {
    const { logger } = this.#init.context.options
    if (exit.kind === 'raised') {
      logApplicationError(logger, this.#label, exit.error)
      if (this.#state === 'connecting') {
        if (isRouteNotFound(exit.error)) this.#refuse(404, 'Not Found')
        else this.#refuse(500, 'Internal Server Error')
      }
      this.#close(1011, 'Internal server error')
    } else if (exit.kind === 'returned') {
      if (this.#state === 'connecting') {
        logger.error(
          `Application for ${this.#label} returned without accepting or closing; answered 500.`,
        )
        this.#refuse(500, 'Internal Server Error')
      }
      // Daphne leaves a socket open after its application returned; we close it.
      this.#close(1000, '')
    }
  }

  #timer(ms: number, callback: () => void): void {
    this.#timers.push(setTimeout(callback, ms))
  }

  #clearTimers(): void {
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers = []
  }

  #log(action: string, status: number | null = null): void {
    const { scope } = this.#init
    this.#init.context.accessLog?.({
      host: clientHost(scope.client),
      request: `${action} ${scope.path}`,
      status,
    })
  }
}

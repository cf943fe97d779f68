import { createHash } from 'node:crypto'
import { type IncomingMessage, STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import type { WebSocketScope } from '@node-channels/core'
import { clientHost } from './access-log.js'
import type { ConnectionHost } from './connection-host.js'
import { type ConnectionLimits, connectionLimitsOf } from './connection-limits.js'
import { DeadlineQueue } from './deadline-queue.js'
import { destroyOnError } from './held-socket.js'
import { checkOrigin } from './origin-check.js'
import { tooManyHeaders } from './request-limits.js'
import { BadRequest, buildWebSocketScope, describePeer } from './scope.js'
import type { ServerContext } from './server-context.js'
import { WebSocketConnection } from './websocket-connection.js'
import { type SocketEvents, WebSocketLink } from './websocket-link.js'
import type { AcceptDecision } from './websocket-messages.js'
import { OutputBatch } from './websocket-output.js'

/*
 * The life of one WebSocket connection (Daphne's, with the differences marked *):
 *
 *   upgrade request ──bad handshake──────────────────────────────► 400/405 (no application)
 *        │ scope built, application started, {websocket.connect} queued, WSCONNECTING
 *        ▼
 *   CONNECTING (101 held) ── app sends websocket.close ─────────► 403 Access denied ──┐
 *        │                ── app throws RouteNotFound ──────────► 404 *              │
 *        │                ── app throws / invalid message ──────► 500                │
 *        │                ── app returns without answering ─────► 500 *              │
 *        │                ── websocketConnectTimeoutMs passes ──► 504 * (Daphne: RST) │
 *        │                ── server shutting down ──────────────► 503 *              │
 *        │                ── client goes away ──────────────────────────────────────┤
 *        │ app sends websocket.accept (subprotocol offered by the client, headers*)   │
 *        ▼ 101, WSCONNECT                                                             │
 *   OPEN ◄── text/binary frames both ways; pings after pingIntervalMs idle            │
 *        │ client close frame (code or 1005) ─┐   app websocket.close (code, reason*) │
 *        │ lost / ping unanswered (1006) ─────┤   app throws → 1011; app returns → 1000*
 *        │ bad UTF-8 → 1007, too big → 1009 ──┤   shutdown → 1001; lifetime → 1000     │
 *        │ output over maxBufferedBytes → 1008*                                       │
 *        ▼                                    ▼                                       ▼
 *   CLOSED: {websocket.disconnect, code, reason*} delivered exactly once (1006 when no
 *        │  WebSocket was ever open), WSDISCONNECT / WSREJECT logged
 *        ▼ applicationCloseTimeoutMs
 *   application returned, or abandoned (its receive() rejects with CancelledError)
 */

/** Serves WebSocket upgrades: validates the handshake and runs one connection per socket. */
export class WebSocketHandler implements ConnectionHost {
  readonly context: ServerContext
  readonly output: OutputBatch = new OutputBatch()
  readonly deadlines: DeadlineQueue = new DeadlineQueue()
  /** The `Server` header line of every 101, or null (`serverName`). */
  readonly #serverLine: string | null
  /** Open and pending connections, with the client address each one's place is counted for. */
  readonly #connections = new Map<WebSocketConnection, string>()
  readonly #limits: ConnectionLimits
  #closing = false
  /** What `closeAll()` waits for: the last connection closed. */
  #allClosed: Promise<void> | null = null
  #resolveAllClosed: (() => void) | null = null

  constructor(context: ServerContext) {
    this.context = context
    // One count per server, shared with long-poll sessions, so an address holds the cap once.
    this.#limits = connectionLimitsOf(context)
    const { serverName } = context.options
    this.#serverLine = serverName ? `Server: ${serverName}` : null
  }

  /** Open and pending connections. */
  get size(): number {
    return this.#connections.size
  }

  /** The `'upgrade'` listener of the http.Server. */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', destroyOnError)
    const { logger } = this.context.options
    if (this.#closing) {
      this.#refuse(socket, 503, 'Service Unavailable')
      return
    }
    if (tooManyHeaders(req, this.context.options.maxHeadersCount)) {
      logger.debug(`Bad WebSocket handshake from ${describePeer(req)}: too many header fields`)
      this.#refuse(socket, 431, 'Request Header Fields Too Large')
      return
    }
    let scope: WebSocketScope
    try {
      scope = buildWebSocketScope(req, checkHandshake(req), this.context.options)
    } catch (error) {
      if (!(error instanceof BadRequest)) throw error
      logger.debug(`Bad WebSocket handshake from ${describePeer(req)}: ${error.message}`)
      this.#refuse(socket, error.status, STATUS_CODES[error.status] ?? 'Bad Request', error.message)
      return
    }
    const client = this.#admit(req, socket, scope)
    if (client === null) return
    this.#connections.set(new WebSocketConnection(this, req, socket, head, scope), client)
  }

  /**
   * Completes a held handshake: answers 101 (with the application's subprotocol and headers)
   * and links the socket to `events`. Returns null, the socket destroyed, when the client
   * already half-closed it (as ws's `handleUpgrade` does).
   */
  upgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    decision: AcceptDecision,
    events: SocketEvents,
    rawBytes: boolean,
  ): WebSocketLink | null {
    if (!socket.readable || !socket.writable) {
      socket.destroy()
      return null
    }
    const lines = [
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Accept: ${acceptKey(req.headers['sec-websocket-key'] ?? '')}`,
    ]
    if (decision.subprotocol !== null) lines.push(`Sec-WebSocket-Protocol: ${decision.subprotocol}`)
    const extra = decision.headers
    if (this.#serverLine !== null && !extra.some(([name]) => name.toLowerCase() === 'server')) {
      lines.push(this.#serverLine)
    }
    for (const [name, value] of extra) lines.push(`${name}: ${value}`)
    lines.push('', '')
    socket.write(lines.join('\r\n'))
    socket.off('error', destroyOnError) // the link handles the socket's errors now
    const maxPayload = this.context.options.websocketMaxMessageSize
    return WebSocketLink.open(socket, head, events, { maxPayload, rawBytes })
  }

  /** Writes a body-less HTTP response on a raw socket and closes it. */
  refuse(socket: Duplex, status: number, reason: string): void {
    this.#refuse(socket, status, reason)
  }

  /** Forgets a finished connection and releases its place under the connection caps. */
  connectionClosed(connection: WebSocketConnection): void {
    const client = this.#connections.get(connection)
    if (client === undefined) return
    this.#connections.delete(connection)
    this.#limits.release(client)
    if (this.#connections.size === 0) this.#resolveAllClosed?.()
  }

  /**
   * The server's own checks before any application runs: the origin (403), then the caps on
   * connections in total (503) and per client address (429). Returns the client address the
   * connection's place is counted for, or `null` when the handshake was refused.
   */
  #admit(req: IncomingMessage, socket: Duplex, scope: WebSocketScope): string | null {
    const { options } = this.context
    const refusal = checkOrigin(req, options)
    if (refusal !== null) {
      this.#reject(req, socket, scope, 403, refusal)
      return null
    }
    const client = scope.client?.[0] ?? ''
    const status = this.#limits.take(client)
    if (status === null) return client
    const problem =
      status === 503
        ? `${options.maxConnections} WebSockets are open (maxConnections)`
        : `${JSON.stringify(client)} has ${options.maxConnectionsPerClient} WebSockets open (maxConnectionsPerClient)`
    this.#reject(req, socket, scope, status, problem)
    return null
  }

  /** Refuses a handshake before the application runs, with a log line and an access-log line. */
  #reject(
    req: IncomingMessage,
    socket: Duplex,
    scope: WebSocketScope,
    status: number,
    problem: string,
  ): void {
    this.context.options.logger.warn(
      `Refused the WebSocket handshake for ${scope.path} from ${describePeer(req)}: ${problem}; answered ${status}.`,
    )
    this.#refuse(socket, status, STATUS_CODES[status] ?? 'Forbidden')
    this.context.accessLog?.({
      host: clientHost(scope.client),
      request: `WSREJECT ${scope.path}`,
      status,
    })
  }

  /** Refuses new handshakes, answers pending ones 503, closes open sockets with 1001, and waits. */
  closeAll(): Promise<void> {
    this.#closing = true
    for (const connection of [...this.#connections.keys()]) connection.shutdown()
    if (this.#connections.size === 0) return Promise.resolve()
    // Settled by connectionClosed(), once every socket is closed and its application told.
    this.#allClosed ??= new Promise<void>((resolve) => {
      this.#resolveAllClosed = resolve
    })
    return this.#allClosed
  }

  /** Writes a body-less (or short text) HTTP response on a raw socket and closes it. */
  #refuse(socket: Duplex, status: number, reason: string, body = ''): void {
    if (socket.destroyed) return
    const { serverName } = this.context.options
    const payload = Buffer.from(body)
    const lines = [`HTTP/1.1 ${status} ${reason}`, 'Connection: close']
    if (serverName) lines.push(`Server: ${serverName}`)
    if (payload.length > 0) lines.push('Content-Type: text/plain; charset=utf-8')
    lines.push(`Content-Length: ${payload.length}`, '', '')
    socket.once('finish', () => socket.destroy())
    socket.end(Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), payload]))
  }
}

/** RFC 6455's GUID, appended to the client's key for `Sec-WebSocket-Accept`. */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

/** The `Sec-WebSocket-Accept` value for a client's `Sec-WebSocket-Key` (RFC 6455 §4.2.2). */
function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64')
}

const KEY = /^[+/0-9A-Za-z]{22}==$/
const TOKEN = /^[-!#$%&'*+.^_`|~0-9a-zA-Z]+$/

/**
 * The checks ws's `handleUpgrade` makes, done before the application runs so that a bad
 * handshake never starts one. Returns the offered subprotocols, in order.
 */
function checkHandshake(req: IncomingMessage): string[] {
  if (req.method !== 'GET') throw new BadRequest('Invalid HTTP method', 405)
  if (req.headers.upgrade?.toLowerCase() !== 'websocket') {
    throw new BadRequest('Invalid Upgrade header')
  }
  const key = req.headers['sec-websocket-key']
  if (key === undefined || !KEY.test(key)) {
    throw new BadRequest('Missing or invalid Sec-WebSocket-Key header')
  }
  const version = Number(req.headers['sec-websocket-version'])
  if (version !== 13 && version !== 8) {
    throw new BadRequest('Missing or invalid Sec-WebSocket-Version header')
  }
  const header = req.headers['sec-websocket-protocol']
  if (header === undefined) return []
  const offered = header.split(',').map((protocol) => protocol.trim())
  if (offered.some((p) => !TOKEN.test(p)) || new Set(offered).size !== offered.length) {
    throw new BadRequest('Invalid Sec-WebSocket-Protocol header')
  }
  return offered
}

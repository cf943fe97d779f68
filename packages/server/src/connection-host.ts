import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { DeadlineQueue } from './deadline-queue.js'
import type { ServerContext } from './server-context.js'
import type { WebSocketConnection } from './websocket-connection.js'
import type { SocketEvents, WebSocketLink } from './websocket-link.js'
import type { AcceptDecision } from './websocket-messages.js'
import type { OutputBatch } from './websocket-output.js'

/** What connections need from the handler that created them (one for all of a server's). */
export interface ConnectionHost {
  readonly context: ServerContext
  /** Batches the frames every connection of the server writes, per event-loop turn. */
  readonly output: OutputBatch
  /** The handshake timeouts and heartbeat checks of every connection of the server. */
  readonly deadlines: DeadlineQueue
  /** Completes the upgrade (101) and links the socket to `events`; null when the socket died. */
  upgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    decision: AcceptDecision,
    events: SocketEvents,
    rawBytes: boolean,
  ): WebSocketLink | null
  /** Writes a raw HTTP response on the socket and closes it. */
  refuse(socket: Duplex, status: number, reason: string): void
  /** Told once, when the connection is over and its application has been told. */
  connectionClosed(connection: WebSocketConnection): void
}

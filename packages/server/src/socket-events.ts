import type { Duplex } from 'node:stream'
import { WebSocket } from 'ws'

/** Where the events of an upgraded socket go (a WebSocket connection). */
export interface SocketEvents {
  /** Bytes read from the raw socket, before ws parses them. */
  heard(chunk: Buffer): void
  /** A message ws parsed from the client. */
  received(ws: WebSocket, data: Buffer, isBinary: boolean): void
  /** ws failed the connection (a protocol error, a reset); it closes the socket next. */
  failed(error: Error & { code?: string }): void
  /** The socket closed: the close code and reason ws reports. */
  ended(code: number, reason: Buffer): void
}

/**
 * The WebSocket class the server's ws instance builds: ws's own, with a link to where its
 * events go, so that one listener function per event serves every socket.
 */
export class LinkedWebSocket extends WebSocket {
  /** Where this socket's events go; set when the upgrade completes. */
  events: SocketEvents | null = null
}

/** Where a raw socket keeps where its bytes go. */
const kEvents: unique symbol = Symbol('node-channels.socket-events')

type LinkedDuplex = Duplex & { [kEvents]?: SocketEvents }

/**
 * Sends the events of an upgraded socket to `events`: ws's messages, errors and close and,
 * with `rawBytes`, every chunk read from the raw socket, ahead of ws's own listener (so the
 * time is taken before ws parses a chunk into messages, and every byte is seen, those sent
 * with the handshake too). The listeners are shared by every socket: no closures per socket.
 */
export function linkEvents(
  ws: LinkedWebSocket,
  socket: Duplex,
  events: SocketEvents,
  rawBytes: boolean,
): void {
  ws.events = events
  if (rawBytes) {
    ;(socket as LinkedDuplex)[kEvents] = events
    socket.prependListener('data', onData)
  }
  ws.on('message', onMessage)
  ws.on('error', onError)
  ws.on('close', onClose)
}

function onData(this: LinkedDuplex, chunk: Buffer): void {
  this[kEvents]?.heard(chunk)
}

function onMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  ;(this as LinkedWebSocket).events?.received(this, data, isBinary)
}

function onError(this: WebSocket, error: Error & { code?: string }): void {
  ;(this as LinkedWebSocket).events?.failed(error)
}

function onClose(this: WebSocket, code: number, reason: Buffer): void {
  ;(this as LinkedWebSocket).events?.ended(code, reason)
}

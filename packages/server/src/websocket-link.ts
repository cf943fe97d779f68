import type { Duplex, Writable } from 'node:stream'
import * as ws from 'ws'
import { controlFrame } from './websocket-frames.js'
import { failCodeOf } from './websocket-messages.js'

/** Where the events of an upgraded socket go (a WebSocket connection). */
export interface SocketEvents {
  /** Bytes read from the raw socket, before they are parsed (only with `rawBytes`). */
  heard(chunk: Buffer): void
  /** A message parsed from the client's frames. */
  received(data: Buffer, isBinary: boolean): void
  /** The client broke the protocol (`WS_ERR_...` on the error); the link closes with closeCode. */
  failed(error: Error & { code?: string }, closeCode: number): void
  /** The socket closed: the client's close code (1005: none given; 1006: no close) and reason. */
  ended(code: number, reason: Buffer): void
  /** The link is about to write a frame of its own: output held for the socket goes first. */
  releaseOutput(): void
}

/** What `WebSocketLink.open()` reads frames with: ws's limits on a message. */
export interface LinkOptions {
  /** The largest message accepted, in bytes (ws's `maxPayload`); over it, a close with 1009. */
  maxPayload: number
  /** Whether every chunk read goes to `SocketEvents.heard` first. */
  rawBytes: boolean
}

/** ws's frame parser (a Writable of the client's bytes), which ws exports but does not type. */
interface FrameReceiver extends Writable {
  /** The stream's state, read as ws's WebSocket reads it. */
  _writableState: { errorEmitted: boolean; finished: boolean; needDrain: boolean }
  [kLink]?: WebSocketLink
}

type ReceiverClass = new (options: {
  allowSynchronousEvents: boolean
  binaryType: 'nodebuffer'
  extensions: object
  isServer: boolean
  maxBufferedChunks: number
  maxFragments: number
  maxPayload: number
  skipUTF8Validation: boolean
}) => FrameReceiver

const Receiver = (ws as unknown as { Receiver: ReceiverClass }).Receiver

/** Where a socket and its receiver keep their link. */
const kLink: unique symbol = Symbol('node-channels.websocket-link')

type LinkedSocket = Duplex & { [kLink]?: WebSocketLink }

/** No extensions are negotiated (permessage-deflate is off): one empty set for every receiver. */
const NO_EXTENSIONS: object = Object.freeze({})
const NO_REASON: Buffer = Buffer.alloc(0)
/** Every ping the link sends (empty): one frame for all sockets (a written buffer is only read). */
const PING_FRAME: Buffer = controlFrame(0x9, NO_REASON)

/** ws's server defaults for the parts of a message it buffers. */
const MAX_BUFFERED_CHUNKS = 256 * 1024
const MAX_FRAGMENTS = 16 * 1024

/**
 * Pongs owed at once (written, not yet flushed) before a client sending pings is dropped
 * (ws's `maxPendingAutoPongs`).
 */
const MAX_PENDING_PONGS = 60

/**
 * How long a server-initiated close waits for the client's close frame before the socket is
 * destroyed (autobahn's `closeHandshakeTimeout`, 1 s; ws's default is 30 s).
 */
export const CLOSE_HANDSHAKE_TIMEOUT_MS = 1000

// A link's state and switches, as bits of one number (one field rather than six).
/** A close frame went out or the socket is ending: no more data frames. */
const CLOSING = 1
/** The end was reported. */
const CLOSED = 2
const PAUSED = 4
const CLOSE_FRAME_RECEIVED = 8
const CLOSE_FRAME_SENT = 16
const ERROR_REPORTED = 32
/** Every chunk read goes to `SocketEvents.heard` first. */
const RAW_BYTES = 64

/**
 * The WebSocket protocol on an upgraded socket, server side: ws's `Receiver` parses the
 * client's frames, and this link answers pings, runs the closing handshake and reports the
 * socket's end. What ws's `WebSocket` does for a server, less what the server does itself
 * (data frames: see websocket-output.ts; the handshake: websocket-handler.ts), in one object
 * per socket where ws keeps a WebSocket, a Sender, their listeners and a pong callback.
 * Before each frame it writes, the events' `releaseOutput()` writes the data frames held for
 * the socket, so they leave in order.
 */
export class WebSocketLink {
  readonly #socket: LinkedSocket
  readonly #receiver: FrameReceiver
  readonly #events: SocketEvents
  /** CLOSING, CLOSED, PAUSED, ... (see above). */
  #flags: number
  #pendingPongs = 0
  #closeCode = 1006
  #closeReason: Buffer = NO_REASON
  #closeTimer: NodeJS.Timeout | null = null

  /** Links `socket`, just answered 101, to `events`; `head`: what the client sent early. */
  static open(
    socket: Duplex,
    head: Buffer,
    events: SocketEvents,
    options: LinkOptions,
  ): WebSocketLink {
    return new WebSocketLink(socket, head, events, options)
  }

  private constructor(socket: Duplex, head: Buffer, events: SocketEvents, options: LinkOptions) {
    const receiver = new Receiver({
      allowSynchronousEvents: true,
      binaryType: 'nodebuffer',
      extensions: NO_EXTENSIONS,
      isServer: true,
      maxBufferedChunks: MAX_BUFFERED_CHUNKS,
      maxFragments: MAX_FRAGMENTS,
      maxPayload: options.maxPayload,
      skipUTF8Validation: false,
    })
    this.#socket = socket
    this.#receiver = receiver
    this.#events = events
    this.#flags = options.rawBytes ? RAW_BYTES : 0
    receiver[kLink] = this
    ;(socket as LinkedSocket)[kLink] = this
    receiver.on('conclude', receiverOnConclude)
    receiver.on('drain', receiverOnDrain)
    receiver.on('error', receiverOnError)
    receiver.on('message', receiverOnMessage)
    receiver.on('ping', receiverOnPing)
    const net = socket as Duplex & { setTimeout?(ms: number): void; setNoDelay?(): void }
    net.setTimeout?.(0)
    net.setNoDelay?.()
    if (head.length > 0) socket.unshift(head)
    socket.on('close', socketOnClose)
    socket.on('data', socketOnData)
    socket.on('end', socketOnEnd)
    socket.on('error', socketOnError)
  }

  /** Whether data frames may still be sent: no close frame sent or received, the socket up. */
  get isOpen(): boolean {
    return (this.#flags & (CLOSING | CLOSED)) === 0
  }

  /** True while the socket is not read (`pause()`). */
  get isPaused(): boolean {
    return (this.#flags & PAUSED) !== 0
  }

  /** Stops reading the socket (the application is behind on its input). */
  pause(): void {
    if (this.#flags & CLOSED) return
    this.#flags |= PAUSED
    this.#socket.pause()
  }

  /** Reads the socket again, unless the parser still holds more than it takes. */
  resume(): void {
    if (this.#flags & CLOSED) return
    this.#flags &= ~PAUSED
    if (!this.#receiver._writableState.needDrain) this.#socket.resume()
  }

  /** Sends a ping (empty), while open. */
  ping(): void {
    if (!this.isOpen) return
    this.#events.releaseOutput()
    this.#socket.write(PING_FRAME)
  }

  /**
   * Starts the closing handshake with `code` and `reason` (checked by the caller; no code: an
   * empty close frame), or ends the socket once both close frames have passed. The socket is
   * destroyed if the client has not closed it within CLOSE_HANDSHAKE_TIMEOUT_MS.
   */
  close(code?: number, reason?: string | Buffer): void {
    const flags = this.#flags
    if (flags & CLOSED) return
    if (flags & CLOSING) {
      if (flags & CLOSE_FRAME_SENT && (flags & CLOSE_FRAME_RECEIVED || this.#receiverFailed)) {
        this.#socket.end()
      }
      return
    }
    this.#flags |= CLOSING
    this.#events.releaseOutput()
    this.#socket.write(closeFrame(code, reason), (error) => {
      // A failed write is the socket's 'error' (it is destroyed); only a sent frame matters here.
      if (error) return
      this.#flags |= CLOSE_FRAME_SENT
      if (this.#flags & CLOSE_FRAME_RECEIVED || this.#receiverFailed) this.#socket.end()
    })
    const socket = this.#socket
    this.#closeTimer = setTimeout(() => socket.destroy(), CLOSE_HANDSHAKE_TIMEOUT_MS)
  }

  /** Drops the socket at once; the end is reported with 1006 unless a close frame came. */
  terminate(): void {
    if (this.#flags & CLOSED) return
    this.#flags |= CLOSING
    this.#socket.destroy()
  }

  /** Whether the parser failed (its 'error' emitted): nothing more is read. */
  get #receiverFailed(): boolean {
    return this.#receiver._writableState.errorEmitted
  }

  // --- the receiver's events ---

  /** The client's close frame: no more is read, and it is answered with the same code. */
  concluded(code: number, reason: Buffer): void {
    this.#flags |= CLOSE_FRAME_RECEIVED
    this.#closeCode = code
    // A copy: the reason is a view into the chunk the socket read, which it would keep alive.
    this.#closeReason = reason.length === 0 ? NO_REASON : Buffer.from(reason)
    if (!this.#stopReading()) return
    if (code === 1005) this.close()
    else this.close(code, reason)
  }

  /** The client broke the protocol: close with the code that says how, once. */
  failedWith(error: Error & { code?: string }): void {
    const closeCode = failCodeOf(error.code ?? '')
    if (this.#stopReading()) this.close(closeCode)
    if ((this.#flags & ERROR_REPORTED) === 0) {
      this.#flags |= ERROR_REPORTED
      this.#events.failed(error, closeCode)
    }
  }

  /**
   * After a close frame or a protocol error: no more bytes go to the parser, and the socket
   * is read on (its data dropped) until it ends. False once the socket has closed.
   */
  #stopReading(): boolean {
    const socket = this.#socket
    if (socket[kLink] === undefined) return false
    socket.removeListener('data', socketOnData)
    process.nextTick(resumeStream, socket)
    return true
  }

  /** A message parsed. */
  message(data: Buffer, isBinary: boolean): void {
    this.#events.received(data, isBinary)
  }

  /** A client's ping: answered with a pong of the same data, while open. */
  pinged(data: Buffer): void {
    if (!this.isOpen) return
    if (this.#pendingPongs >= MAX_PENDING_PONGS) {
      this.terminate()
      return
    }
    this.#pendingPongs++
    this.#events.releaseOutput()
    this.#socket.write(controlFrame(0xa, data), () => {
      this.#pendingPongs--
    })
  }

  /** The parser took what it held: the socket is read again, unless paused. */
  drained(): void {
    if ((this.#flags & PAUSED) === 0) this.#socket.resume()
  }

  /** Bytes read: to `heard` (with `rawBytes`), then to the parser; a full parser pauses reads. */
  read(chunk: Buffer): void {
    if (this.#flags & RAW_BYTES) this.#events.heard(chunk)
    if (!this.#receiver.write(chunk)) this.#socket.pause()
  }

  // --- the socket's events ---

  /** The socket closed: the parser gets what was left unread, then the end is reported. */
  socketClosed(): void {
    const socket = this.#socket
    socket.removeListener('close', socketOnClose)
    socket.removeListener('data', socketOnData)
    socket.removeListener('end', socketOnEnd)
    this.#flags |= CLOSING
    const receiver = this.#receiver
    // A paused socket may hold bytes read but not parsed: they may end in a close frame.
    const unread = socket.readableLength
    const closeFrameReceived = (this.#flags & CLOSE_FRAME_RECEIVED) !== 0
    if (!socket.readableEnded && !closeFrameReceived && !this.#receiverFailed && unread) {
      receiver.write(socket.read(unread) as Buffer)
    }
    endOnce(receiver)
    socket[kLink] = undefined
    if (this.#closeTimer !== null) clearTimeout(this.#closeTimer)
    if (receiver._writableState.finished || this.#receiverFailed) this.finished()
    else {
      receiver.on('error', receiverOnFinish)
      receiver.on('finish', receiverOnFinish)
    }
  }

  /** The client ended its side: so does the server, after what it still writes. */
  socketEnded(): void {
    this.#flags |= CLOSING
    endOnce(this.#receiver)
    endOnce(this.#socket)
  }

  /** The socket failed (a reset): it is destroyed, and its 'close' reports the end. */
  socketFailed(): void {
    this.#flags |= CLOSING
    this.#socket.destroy()
  }

  /** The parser is done with the last bytes: the end is reported, once. */
  finished(): void {
    if (this.#flags & CLOSED) return
    this.#receiver.removeAllListeners()
    this.#flags |= CLOSED
    this.#events.ended(this.#closeCode, this.#closeReason)
  }
}

/** A close frame: no code, or the code and the reason's UTF-8 (RFC 6455 §5.5.1). */
function closeFrame(code: number | undefined, reason: string | Buffer | undefined): Buffer {
  if (code === undefined) return controlFrame(0x8, NO_REASON)
  const text = reason ?? NO_REASON
  const payload = Buffer.allocUnsafe(2 + Buffer.byteLength(text))
  payload.writeUInt16BE(code, 0)
  if (typeof text === 'string') payload.write(text, 2, 'utf8')
  else text.copy(payload, 2)
  return controlFrame(0x8, payload)
}

// One listener function per event for every socket and receiver: `this` finds the link.

function receiverOnConclude(this: FrameReceiver, code: number, reason: Buffer): void {
  this[kLink]?.concluded(code, reason)
}

function receiverOnDrain(this: FrameReceiver): void {
  this[kLink]?.drained()
}

function receiverOnError(this: FrameReceiver, error: Error & { code?: string }): void {
  this[kLink]?.failedWith(error)
}

function receiverOnMessage(this: FrameReceiver, data: Buffer, isBinary: boolean): void {
  this[kLink]?.message(data, isBinary)
}

function receiverOnPing(this: FrameReceiver, data: Buffer): void {
  this[kLink]?.pinged(data)
}

function receiverOnFinish(this: FrameReceiver): void {
  this[kLink]?.finished()
}

function socketOnClose(this: LinkedSocket): void {
  this[kLink]?.socketClosed()
}

function socketOnData(this: LinkedSocket, chunk: Buffer): void {
  this[kLink]?.read(chunk)
}

function socketOnEnd(this: LinkedSocket): void {
  this[kLink]?.socketEnded()
}

function socketOnError(this: LinkedSocket): void {
  this.removeListener('error', socketOnError)
  this.on('error', ignoreError)
  const link = this[kLink]
  if (link !== undefined) link.socketFailed()
}

function ignoreError(): void {}

function resumeStream(stream: Duplex): void {
  stream.resume()
}

/**
 * Ends the writable side of `stream` unless it was ended already: `end()` again does nothing
 * but build an error (with its stack) to say so, which a closing connection could do twice.
 */
function endOnce(stream: Writable): void {
  if (!stream.writableEnded) stream.end()
}

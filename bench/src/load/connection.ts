import net from 'node:net'
import { performance } from 'node:perf_hooks'
import { clientFrame, closeFrame, HANDSHAKE_ACCEPT, Opcode, upgradeRequest } from './frames.js'
import {
  type Protocol,
  type Route,
  routePath,
  SOCKET_IO_EVENT_PREFIX,
  SOCKET_IO_EVENT_SUFFIX,
} from './protocols.js'

/** Called for each application message: the payload is `buffer[start..end)`, `nowMs` its arrival. */
export type MessageHandler = (buffer: Buffer, start: number, end: number, nowMs: number) => void

const SOCKET_IO_CONNECT = clientFrame('40')
const SOCKET_IO_PONG = clientFrame('3')
const MAX_HANDSHAKE_BYTES = 16_384
const CLOSE_GRACE_MS = 2_000
const noop: MessageHandler = () => {}
/** Every generator socket reads into this one buffer (JavaScript runs one read at a time). */
const SHARED_READ_BUFFER = Buffer.allocUnsafe(256 * 1024)

/**
 * One generator-side WebSocket connection, built on a bare `net.Socket`: a precomputed
 * handshake, zero-copy parsing of the (unmasked) server frames, replies to pings, and the
 * socket.io handshake and heartbeat when the server speaks socket.io. Parsing a chunk corks
 * the socket, so replies written from `onMessage` leave in one write.
 */
export class Connection {
  /** The application-message callback; replace it before traffic starts. */
  onMessage: MessageHandler = noop
  /** Called once when the connection ends, with why, and whether it was an error. */
  onEnd: (reason: string, error: boolean) => void = () => {}
  readonly #socket: net.Socket
  readonly #protocol: Protocol
  #pending: Buffer | null = null
  #fragments: Buffer[] | null = null
  #ended = false
  #closing = false
  #readyResolve: () => void = () => {}
  #readyReject: (error: Error) => void = () => {}
  /** Settles when the connection can carry application messages. */
  readonly ready: Promise<void>

  constructor(socket: net.Socket, protocol: Protocol) {
    this.#socket = socket
    this.#protocol = protocol
    this.ready = new Promise<void>((resolve, reject) => {
      this.#readyResolve = resolve
      this.#readyReject = reject
    })
    if (protocol === 'plain') this.#readyResolve()
    socket.on('error', (error) => this.#end(`socket error: ${error.message}`, true))
    socket.on('close', () => this.#end('socket closed', !this.#closing))
  }

  /** Whether the connection has ended. */
  get ended(): boolean {
    return this.#ended
  }

  /** Writes one pre-built frame (see `clientFrame`). */
  write(frame: Buffer): void {
    if (!this.#ended) this.#socket.write(frame)
  }

  /** Sends a close frame and resolves once the server has closed the TCP connection (bounded). */
  close(): Promise<void> {
    if (this.#ended) return Promise.resolve()
    this.#closing = true
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.#socket.destroy(), CLOSE_GRACE_MS)
      this.#socket.once('close', () => {
        clearTimeout(timer)
        resolve()
      })
      this.#socket.end(closeFrame())
    })
  }

  /**
   * Parses bytes from the server (also used for bytes that arrived with the handshake).
   * `chunk` is only valid during the call: nothing keeps a view of it.
   */
  feed(chunk: Buffer): void {
    let buffer = chunk
    if (this.#pending !== null) {
      buffer = Buffer.concat([this.#pending, chunk])
      this.#pending = null
    }
    const nowMs = performance.now()
    const length = buffer.length
    let offset = 0
    this.#socket.cork()
    while (offset + 2 <= length) {
      const first = buffer[offset] ?? 0
      const second = buffer[offset + 1] ?? 0
      let payloadLength = second & 0x7f
      let header = 2
      if (second & 0x80) {
        this.#fail('the server sent a masked frame')
        break
      }
      if (payloadLength === 126) {
        if (offset + 4 > length) break
        payloadLength = buffer.readUInt16BE(offset + 2)
        header = 4
      } else if (payloadLength === 127) {
        if (offset + 10 > length) break
        payloadLength =
          buffer.readUInt32BE(offset + 2) * 0x100000000 + buffer.readUInt32BE(offset + 6)
        header = 10
      }
      const start = offset + header
      const end = start + payloadLength
      if (end > length) break
      this.#frame(first, buffer, start, end, nowMs)
      offset = end
    }
    // A copy: `chunk` may be the shared read buffer, which the next read overwrites.
    if (offset < length && !this.#ended) this.#pending = Buffer.from(buffer.subarray(offset))
    this.#socket.uncork()
  }

  #frame(first: number, buffer: Buffer, start: number, end: number, nowMs: number): void {
    const opcode = first & 0x0f
    const fin = (first & 0x80) !== 0
    if (opcode === Opcode.text || opcode === Opcode.binary) {
      if (fin) this.#message(buffer, start, end, nowMs)
      else this.#fragments = [Buffer.from(buffer.subarray(start, end))]
    } else if (opcode === Opcode.continuation) {
      if (this.#fragments === null) {
        this.#fail('the server sent a continuation frame with no message')
        return
      }
      this.#fragments.push(Buffer.from(buffer.subarray(start, end)))
      if (fin) {
        const whole = Buffer.concat(this.#fragments)
        this.#fragments = null
        this.#message(whole, 0, whole.length, nowMs)
      }
    } else if (opcode === Opcode.ping) {
      this.write(clientFrame(Buffer.from(buffer.subarray(start, end)), Opcode.pong))
    } else if (opcode === Opcode.close) {
      const code = end - start >= 2 ? buffer.readUInt16BE(start) : 1005
      const reason = buffer.toString('utf8', Math.min(start + 2, end), end)
      if (!this.#closing) this.write(closeFrame(code === 1005 ? 1000 : code))
      this.#end(
        `closed by the server with ${code}${reason ? ` ${JSON.stringify(reason)}` : ''}`,
        !this.#closing,
      )
      this.#socket.end()
    }
  }

  #message(buffer: Buffer, start: number, end: number, nowMs: number): void {
    if (this.#protocol === 'plain') {
      this.onMessage(buffer, start, end, nowMs)
      return
    }
    // socket.io over engine.io: 0 open, 2 ping, 40 connected, 42 event, 44 connect error.
    const type = buffer[start]
    if (type === 0x34 && buffer[start + 1] === 0x32) {
      this.onMessage(buffer, start + SOCKET_IO_EVENT_PREFIX, end - SOCKET_IO_EVENT_SUFFIX, nowMs)
    } else if (type === 0x32) {
      this.write(SOCKET_IO_PONG)
    } else if (type === 0x30) {
      this.write(SOCKET_IO_CONNECT)
    } else if (type === 0x34 && buffer[start + 1] === 0x30) {
      this.#readyResolve()
    } else {
      this.#fail(
        `unexpected socket.io packet ${JSON.stringify(buffer.toString('utf8', start, Math.min(end, start + 80)))}`,
      )
    }
  }

  #fail(reason: string): void {
    this.#end(reason, true)
    this.#socket.destroy()
  }

  #end(reason: string, error: boolean): void {
    if (this.#ended) return
    this.#ended = true
    this.#readyReject(new Error(`The connection ended before it was ready: ${reason}.`))
    this.onEnd(reason, error)
  }
}

/** Opens a connection to `route` on 127.0.0.1:`port`; rejects on a refused upgrade or after `timeoutMs`. */
export function openConnection(
  port: number,
  protocol: Protocol,
  route: Route,
  timeoutMs: number,
): Promise<Connection> {
  const path = routePath(protocol, route)
  return new Promise<Connection>((resolve, reject) => {
    // Reads land in one shared buffer, parsed synchronously: no stream machinery and no Buffer
    // allocation per read, which is most of a generator's cost when every delivery is a read.
    let reader: (chunk: Buffer) => void = () => {}
    const socket = net.connect({
      host: '127.0.0.1',
      port,
      onread: {
        buffer: SHARED_READ_BUFFER,
        callback: (bytes: number, buffer: Uint8Array) => {
          reader(Buffer.from(buffer.buffer, buffer.byteOffset, bytes))
          return true
        },
      },
    })
    socket.setNoDelay(true)
    let head: Buffer = Buffer.alloc(0)
    let settled = false
    const fail = (error: Error): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      reject(error)
    }
    const timer = setTimeout(
      () => fail(new Error(`Opening ${path} timed out after ${timeoutMs} ms.`)),
      timeoutMs,
    )
    const onError = (error: Error): void =>
      fail(new Error(`Opening ${path} failed: ${error.message}.`))
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk])
      const headerEnd = head.indexOf('\r\n\r\n')
      if (headerEnd < 0) {
        if (head.length > MAX_HANDSHAKE_BYTES)
          fail(new Error(`The upgrade response for ${path} has no end of headers.`))
        return
      }
      reader = () => {}
      socket.off('error', onError)
      const response = head.toString('latin1', 0, headerEnd)
      if (!response.startsWith('HTTP/1.1 101') || !response.includes(HANDSHAKE_ACCEPT)) {
        fail(
          new Error(
            `The server refused the upgrade for ${path}: ${JSON.stringify(response.split('\r\n')[0])}.`,
          ),
        )
        return
      }
      const connection = new Connection(socket, protocol)
      reader = (bytes) => connection.feed(bytes)
      connection.ready.then(
        () => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          resolve(connection)
        },
        (error: Error) => fail(error),
      )
      if (head.length > headerEnd + 4) connection.feed(head.subarray(headerEnd + 4))
    }
    reader = onData
    socket.on('error', onError)
    socket.once('connect', () => socket.write(upgradeRequest(port, path)))
  })
}

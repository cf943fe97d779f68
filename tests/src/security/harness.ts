// The hostile-input catalogue's shared pieces: a real server on 127.0.0.1 port 0, a
// well-behaved client that must keep being served, raw sockets for what `ws` would never
// send, and the heap measurement. docs/security.md lists what each attack gets.
import { connect, type Socket } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { type Application, WebsocketConsumer, type WebsocketFrame } from '@node-channels/core'
import { ProtocolTypeRouter, path, type Route, URLRouter } from '@node-channels/router'
import {
  type ServeOptions,
  type ServerHandle,
  type ServerLogger,
  serve,
} from '@node-channels/server'
import { expect, onTestFinished } from 'vitest'
import { WebSocket } from 'ws'

/** Echoes every text and binary frame back. */
export class EchoConsumer extends WebsocketConsumer {
  override receive({ textData, bytesData }: WebsocketFrame): Promise<void> {
    return this.send({ textData, bytesData })
  }
}

/** WebSocket routes: the good client's echo at ws/echo/, then `routes` (those under attack). */
export function echoAnd(...routes: Route[]): Application {
  return ProtocolTypeRouter({
    websocket: URLRouter([path('ws/echo/', EchoConsumer.asAsgi()), ...routes]),
  })
}

/** Keeps what the server logs (the last 2000 lines) so a test can wait for a line. */
export class LogRecorder implements ServerLogger {
  readonly lines: string[] = []
  readonly #waiters = new Set<() => void>()

  debug(message: string): void {
    this.#add(`debug: ${message}`)
  }

  warn(message: string): void {
    this.#add(`warn: ${message}`)
  }

  error(message: string, error?: unknown): void {
    this.#add(
      `error: ${message}${error instanceof Error ? ` ${error.name}: ${error.message}` : ''}`,
    )
  }

  /** Resolves with the first line matching `pattern`, waiting up to `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs = 2000): Promise<string> {
    return waitFor(
      () => this.lines.find((line) => pattern.test(line)),
      this.#waiters,
      timeoutMs,
      `a log line matching ${pattern}`,
    )
  }

  #add(line: string): void {
    this.lines.push(line)
    if (this.lines.length > 2000) this.lines.shift()
    for (const wake of this.#waiters) wake()
  }
}

/** A running server for one test file, closed when the file's tests finish. */
export interface TestServer {
  handle: ServerHandle
  port: number
  logger: LogRecorder
  access: string[]
}

/** Serves `application` on 127.0.0.1, port 0, with the given options over the defaults. */
export async function startServer(
  application: Application,
  options: ServeOptions = {},
): Promise<TestServer> {
  const logger = new LogRecorder()
  const access: string[] = []
  const handle = await serve(application, {
    host: '127.0.0.1',
    port: 0,
    logger,
    accessLog: (line) => {
      access.push(line)
      if (access.length > 2000) access.shift()
    },
    ...options,
  })
  return { handle, port: handle.address.port, logger, access }
}

/**
 * A well-behaved browser-like client: same-origin `Origin` header, one message at a time.
 * `assertEchoes()` proves the server still serves it after an attack.
 */
export class GoodClient {
  readonly #ws: WebSocket
  readonly #inbox: string[] = []
  readonly #waiters = new Set<() => void>()
  #sent = 0
  #closed: { code: number; reason: string } | null = null

  private constructor(ws: WebSocket) {
    this.#ws = ws
    ws.on('message', (data: Buffer) => {
      this.#inbox.push(data.toString('utf8'))
      this.#wake()
    })
    ws.on('close', (code: number, reason: Buffer) => {
      this.#closed = { code, reason: reason.toString('utf8') }
      this.#wake()
    })
  }

  /** Connects to `path` (an echo route) on the server. */
  static async open(port: number, path = '/ws/echo/'): Promise<GoodClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, {
      origin: `http://127.0.0.1:${port}`,
    })
    const client = new GoodClient(ws)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    return client
  }

  /** Sends a fresh text and expects exactly it back within a second. */
  async assertEchoes(): Promise<void> {
    expect(this.#closed).toBeNull()
    const text = `still here ${++this.#sent}`
    this.#ws.send(text)
    const got = await waitFor(
      () =>
        this.#inbox.length > 0
          ? this.#inbox.shift()
          : this.#closed
            ? `(closed with ${this.#closed.code})`
            : undefined,
      this.#waiters,
      1000,
      `the echo of ${JSON.stringify(text)}`,
    )
    expect(got).toBe(text)
  }

  /** Closes the connection and waits for the close to complete. */
  async close(): Promise<void> {
    if (this.#closed !== null) return
    const closed = new Promise((resolve) => this.#ws.once('close', resolve))
    this.#ws.close(1000)
    await closed
  }

  #wake(): void {
    for (const wake of this.#waiters) wake()
  }
}

/** What a server answered on a raw socket before closing it (or until the timeout). */
export interface RawAnswer {
  /** The HTTP status of the response, or null when there was none. */
  status: number | null
  /** Everything received, as latin-1 text. */
  text: string
  /** True when the server closed the connection within the timeout. */
  closed: boolean
  /** Milliseconds from the first write to the close (or to the timeout). */
  elapsedMs: number
}

/**
 * Opens a TCP connection, writes `chunks` (a function may write over time), and collects the
 * answer until the server closes the connection or `timeoutMs` passes.
 */
export function rawExchange(
  port: number,
  write: string | Buffer | ((socket: Socket) => void),
  timeoutMs = 2000,
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const startedAt = performance.now()
    let settled = false
    const finish = (closed: boolean) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      const text = Buffer.concat(chunks).toString('latin1')
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text)
      resolve({
        status: match ? Number(match[1]) : null,
        text,
        closed,
        elapsedMs: performance.now() - startedAt,
      })
    }
    const timer = setTimeout(() => finish(false), timeoutMs)
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', () => finish(true))
    socket.on('close', () => finish(true))
    socket.once('connect', () => {
      if (typeof write === 'function') write(socket)
      else socket.write(write)
    })
  })
}

/** A WebSocket handshake request for `path` (sent verbatim), with extra header lines. */
export function handshakeRequest(path: string, port: number, extra: string[] = []): string {
  return [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    ...extra,
    '',
    '',
  ].join('\r\n')
}

/**
 * Sends a handshake for `path` with extra header lines on a raw socket and resolves with the
 * status of the answer (101, or the refusal), closing the socket then.
 */
export function handshakeStatus(port: number, path: string, extra: string[] = []): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let head = ''
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`No answer to the handshake for ${path} within 2000 ms.`))
    }, 2000)
    socket.on('error', () => {})
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1')
      const match = /^HTTP\/1\.1 (\d{3})[\s\S]*?\r\n\r\n/.exec(head)
      if (!match) return
      clearTimeout(timer)
      socket.destroy()
      resolve(Number(match[1]))
    })
    socket.once('close', () => {
      clearTimeout(timer)
      reject(
        new Error(`The server closed the connection without answering: ${JSON.stringify(head)}`),
      )
    })
    socket.write(handshakeRequest(path, port, extra))
  })
}

/**
 * Like `handshakeStatus`, but keeps the connection open (when accepted) so that it counts
 * against the server's connection caps; the socket is destroyed when the test ends.
 */
export function heldHandshake(
  port: number,
  path: string,
  extra: string[] = [],
): Promise<{ status: number; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    onTestFinished(() => {
      socket.destroy()
    })
    let head = ''
    socket.on('error', () => {})
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1')
      const match = /^HTTP\/1\.1 (\d{3})/.exec(head)
      if (!match || !head.includes('\r\n\r\n')) return
      socket.off('data', onData)
      resolve({ status: Number(match[1]), socket })
    }
    socket.on('data', onData)
    socket.once('close', () =>
      reject(new Error(`Closed without an answer: ${JSON.stringify(head)}`)),
    )
    socket.write(handshakeRequest(path, port, extra))
  })
}

/** A WebSocket opened on a raw socket, to send frames `ws` would refuse to build. */
export interface RawWebSocket {
  socket: Socket
  /** Resolves with the close frame the server sent, or null if the socket ended without one. */
  closeFrame: Promise<{ code: number; reason: string } | null>
  /** Resolves when the TCP connection is closed. */
  ended: Promise<void>
  /** Text frames received from the server so far. */
  texts: string[]
  /** Resolves with the `nth` (1-based) text frame from the server, waiting up to a second. */
  nthText(nth: number): Promise<string>
}

/**
 * Completes a handshake on a raw socket (no `Origin` header) and returns it. The socket is
 * destroyed when the test ends, unless `destroyAtTestEnd` is false (the caller then makes
 * sure it ends: a test that opens hundreds must not keep each one alive until it finishes).
 */
export async function openRawWebSocket(
  port: number,
  path = '/ws/echo/',
  destroyAtTestEnd = true,
): Promise<RawWebSocket> {
  const socket = connect(port, '127.0.0.1')
  if (destroyAtTestEnd) {
    onTestFinished(() => {
      socket.destroy()
    })
  }
  socket.on('error', () => {})
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  socket.write(handshakeRequest(path, port))
  let buffer = Buffer.alloc(0)
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk])
      const end = buffer.indexOf('\r\n\r\n')
      if (end === -1) return
      socket.off('data', onData)
      const head = buffer.subarray(0, end).toString('latin1')
      buffer = buffer.subarray(end + 4)
      if (head.startsWith('HTTP/1.1 101')) resolve()
      else reject(new Error(`The handshake was refused: ${head.split('\r\n')[0]}`))
    }
    socket.on('data', onData)
    socket.once('close', () => reject(new Error('The socket closed during the handshake')))
  })
  const texts: string[] = []
  const textWaiters = new Set<() => void>()
  const closeFrame = new Promise<{ code: number; reason: string } | null>((resolve) => {
    const parse = () => {
      for (let round = 0; round < 10_000 && buffer.length >= 2; round++) {
        const opcode = (buffer[0] ?? 0) & 0x0f
        let length = (buffer[1] ?? 0) & 0x7f
        let offset = 2
        if (length === 126) {
          if (buffer.length < 4) return
          length = buffer.readUInt16BE(2)
          offset = 4
        } else if (length === 127) {
          if (buffer.length < 10) return
          length = Number(buffer.readBigUInt64BE(2))
          offset = 10
        }
        if (buffer.length < offset + length) return
        const payload = buffer.subarray(offset, offset + length)
        buffer = buffer.subarray(offset + length)
        if (opcode === 0x1) {
          texts.push(payload.toString('utf8'))
          for (const wake of textWaiters) wake()
        }
        if (opcode === 0x8) {
          resolve({
            code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005,
            reason: payload.subarray(2).toString('utf8'),
          })
        }
      }
    }
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk])
      parse()
    })
    socket.once('close', () => resolve(null))
    parse()
  })
  const nthText = (nth: number) =>
    waitFor(() => texts[nth - 1], textWaiters, 1000, `text frame number ${nth}`)
  return { socket, closeFrame, ended, texts, nthText }
}

/** A masked client frame (RFC 6455 §5.2): `opcode` 0 continuation, 1 text, 2 binary, 8 close. */
export function clientFrame(
  opcode: number,
  payload: Buffer | string,
  options: { fin?: boolean; masked?: boolean; announcedLength?: number } = {},
): Buffer {
  const { fin = true, masked = true } = options
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload
  const length = options.announcedLength ?? data.length
  let lengthBytes: Buffer
  if (length < 126) lengthBytes = Buffer.from([length])
  else if (length < 65_536) lengthBytes = Buffer.from([126, length >> 8, length & 0xff])
  else {
    lengthBytes = Buffer.alloc(9)
    lengthBytes[0] = 127
    lengthBytes.writeBigUInt64BE(BigInt(length), 1)
  }
  if (masked) lengthBytes[0] = (lengthBytes[0] ?? 0) | 0x80
  const first = Buffer.from([(fin ? 0x80 : 0) | opcode])
  if (!masked) return Buffer.concat([first, lengthBytes, data])
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78])
  const body = Buffer.from(data)
  for (let i = 0; i < body.length; i++) body[i] = (body[i] ?? 0) ^ (mask[i % 4] ?? 0)
  return Buffer.concat([first, lengthBytes, mask, body])
}

/** Runs `tasks` with at most `concurrency` in flight; resolves with their results in order. */
export async function inBatches<T>(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(count)
  let next = 0
  const worker = async () => {
    while (next < count) {
      const index = next++
      results[index] = await task(index)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
  return results
}

let gc: (() => void) | null = null

/** Forces full garbage collections (through V8's `--expose-gc`, switched on at run time). */
export function collectGarbage(): void {
  if (gc === null) {
    setFlagsFromString('--expose-gc')
    gc = runInNewContext('gc') as () => void
  }
  for (let round = 0; round < 3; round++) gc()
}

/** Heap and buffer memory in use after forcing garbage collection, in bytes. */
export function measureMemory(): { heapUsed: number; arrayBuffers: number } {
  collectGarbage()
  const { heapUsed, arrayBuffers } = process.memoryUsage()
  return { heapUsed, arrayBuffers }
}

/** The TCP connections the server holds now (its net.Server count). */
export function serverConnections(handle: ServerHandle): Promise<number> {
  return new Promise((resolve, reject) =>
    handle.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  )
}

/**
 * Waits until the server holds `expected` TCP connections. Node has no event for a closed
 * server-side socket, so this polls, at most 200 times 10 ms apart.
 */
export async function untilServerConnections(
  handle: ServerHandle,
  expected: number,
): Promise<void> {
  let count = -1
  for (let round = 0; round < 200; round++) {
    count = await serverConnections(handle)
    if (count === expected) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`The server still holds ${count} connections, not ${expected}.`)
}

/** Resolves with `probe()`'s first defined value, checking again each time a waiter is woken. */
export function waitFor<T>(
  probe: () => T | undefined,
  waiters: Set<() => void>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const found = probe()
  if (found !== undefined) return Promise.resolve(found)
  return new Promise((resolve, reject) => {
    const wake = () => {
      const value = probe()
      if (value === undefined) return
      clearTimeout(timer)
      waiters.delete(wake)
      resolve(value)
    }
    const timer = setTimeout(() => {
      waiters.delete(wake)
      reject(new Error(`Timed out waiting for ${what}.`))
    }, timeoutMs)
    waiters.add(wake)
  })
}

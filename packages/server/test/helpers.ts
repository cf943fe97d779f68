// Shared helpers of the server's integration tests: real sockets on 127.0.0.1, port 0.
import { request } from 'node:http'
import { connect, type Socket } from 'node:net'
import type { Application, Message, Receive, Scope, Send } from '@node-channels/core'
import { onTestFinished } from 'vitest'
import { type ClientOptions, WebSocket } from 'ws'
import { type ServeOptions, type ServerHandle, type ServerLogger, serve } from '../src/index.js'

/** One line a test logger received. */
export interface LogLine {
  level: 'debug' | 'warn' | 'error'
  message: string
  error?: unknown
}

/** A logger that keeps its lines and lets a test wait for one. */
export class TestLogger implements ServerLogger {
  readonly lines: LogLine[] = []
  readonly #waiters = new Set<() => void>()

  debug(message: string): void {
    this.#add({ level: 'debug', message })
  }

  warn(message: string): void {
    this.#add({ level: 'warn', message })
  }

  error(message: string, error?: unknown): void {
    this.#add({ level: 'error', message, error })
  }

  /** Resolves with the first line matching `pattern` (waiting up to `timeoutMs`). */
  waitFor(pattern: RegExp, timeoutMs = 2000): Promise<LogLine> {
    return waitUntil(
      () => this.lines.find((line) => pattern.test(line.message)),
      (wake) => this.#waiters.add(wake),
      timeoutMs,
      `a log line matching ${pattern}`,
    )
  }

  #add(line: LogLine): void {
    this.lines.push(line)
    for (const wake of this.#waiters) wake()
  }
}

/** Collects access-log lines. */
export class TestAccessLog {
  readonly lines: string[] = []
  readonly #waiters = new Set<() => void>()
  readonly write = (line: string): void => {
    this.lines.push(line)
    for (const wake of this.#waiters) wake()
  }

  waitFor(pattern: RegExp, timeoutMs = 2000): Promise<string> {
    return waitUntil(
      () => this.lines.find((line) => pattern.test(line)),
      (wake) => this.#waiters.add(wake),
      timeoutMs,
      `an access-log line matching ${pattern}`,
    )
  }
}

/** Starts a server on 127.0.0.1:0 that the test closes when it finishes. */
export async function startServer(
  application: Application,
  options: ServeOptions = {},
): Promise<{ handle: ServerHandle; logger: TestLogger; access: TestAccessLog; port: number }> {
  const logger = options.logger instanceof TestLogger ? options.logger : new TestLogger()
  const access = new TestAccessLog()
  const handle = await serve(application, { port: 0, logger, accessLog: access.write, ...options })
  onTestFinished(() => handle.close())
  return { handle, logger, access, port: handle.address.port }
}

/** What an application saw: its scope and every event it received, in order. */
export class Recording {
  readonly scopes: Scope[] = []
  readonly received: Message[] = []
  readonly #waiters = new Set<() => void>()

  /** Wraps `receive` so every event is recorded. */
  wrap(scope: Scope, receive: Receive): Receive {
    this.scopes.push(scope)
    this.#wake()
    return async () => {
      const message = await receive()
      this.received.push(message)
      this.#wake()
      return message
    }
  }

  /** Waits for the `nth` (1-based) received event of this type and returns it. */
  waitFor(type: string, timeoutMs = 2000, nth = 1): Promise<Message> {
    return waitUntil(
      () => this.received.filter((message) => message.type === type)[nth - 1],
      (wake) => this.#waiters.add(wake),
      timeoutMs,
      `a ${type} event`,
    )
  }

  #wake(): void {
    for (const wake of this.#waiters) wake()
  }
}

/** A WebSocket application: records, then runs `script` with the recorded receive. */
export function wsApp(
  recording: Recording,
  script: (receive: Receive, send: Send, scope: Scope) => Promise<void>,
): Application {
  return async (scope, receive, send) => {
    if (scope.type === 'lifespan') throw new Error('no lifespan here')
    await script(recording.wrap(scope, receive), send, scope)
  }
}

/** An application that accepts and echoes text and bytes until the client leaves. */
export const echoApp: Application = async (scope, receive, send) => {
  if (scope.type === 'lifespan') throw new Error('no lifespan here')
  if (scope.type === 'http') {
    await send({ type: 'http.response.start', status: 200, headers: [] })
    await send({ type: 'http.response.body', body: Buffer.from('ok') })
    return
  }
  await receive()
  await send({ type: 'websocket.accept' })
  for (;;) {
    const event = await receive()
    if (event.type === 'websocket.disconnect') return
    await send({ type: 'websocket.send', text: event.text ?? null, bytes: event.bytes ?? null })
  }
}

/** Serves `/echo...` paths with `echoApp` and everything else with `application`. */
export function withEcho(application: Application): Application {
  return (scope, receive, send) =>
    scope.type !== 'lifespan' && typeof scope.path === 'string' && scope.path.startsWith('/echo')
      ? echoApp(scope, receive, send)
      : application(scope, receive, send)
}

/** A valid raw WebSocket handshake request for `path`, with optional extra header lines. */
export function handshake(path: string, extra = ''): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`
  )
}

/**
 * A raw client that completes the handshake for `path` and then never reads, so that the
 * server's output piles up; destroyed when the test ends.
 */
export function stalledClient(port: number, path: string): Socket {
  const socket = connect(port, '127.0.0.1')
  onTestFinished(() => {
    socket.destroy()
  })
  socket.write(handshake(path))
  socket.once('data', () => socket.pause())
  return socket
}

/** Opens a ws client and waits for it to be open. */
export async function openClient(
  url: string,
  protocols: string[] = [],
  options: ClientOptions = {},
): Promise<WebSocket> {
  const ws = new WebSocket(url, protocols, options)
  onTestFinished(() => ws.terminate())
  inboxFor(ws) // buffer messages sent right after the handshake
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`Unexpected response ${res.statusCode}`)),
    )
  })
  return ws
}

/** Opens a ws client expected to be refused; resolves with the HTTP status and headers. */
export function refusedClient(
  url: string,
  protocols: string[] = [],
): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  const ws = new WebSocket(url, protocols)
  onTestFinished(() => ws.terminate())
  return new Promise((resolve, reject) => {
    ws.once('open', () => reject(new Error('The handshake was accepted')))
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers })
      res.resume()
    })
    ws.once('error', (error) => reject(error))
  })
}

function inboxFor(ws: WebSocket): { queue: Array<[Buffer, boolean]>; wake: () => void } {
  let inbox = inboxes.get(ws)
  if (inbox === undefined) {
    const created = { queue: [] as Array<[Buffer, boolean]>, wake: () => {} }
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      created.queue.push([data, isBinary])
      created.wake()
    })
    inboxes.set(ws, created)
    inbox = created
  }
  return inbox
}

const inboxes = new WeakMap<WebSocket, { queue: Array<[Buffer, boolean]>; wake: () => void }>()

/** The next message a client receives, as [data, isBinary]; messages are buffered from the first call. */
export function nextMessage(ws: WebSocket, timeoutMs = 2000): Promise<[Buffer, boolean]> {
  const box = inboxFor(ws)
  return withTimeout(
    new Promise((resolve) => {
      const take = () => {
        const item = box.queue.shift()
        if (item === undefined) return false
        box.wake = () => {}
        resolve(item)
        return true
      }
      if (!take()) box.wake = take
    }),
    timeoutMs,
    'a WebSocket message',
  )
}

/** The close event of a client: code and reason. */
export function closeOf(
  ws: WebSocket,
  timeoutMs = 3000,
): Promise<{ code: number; reason: string }> {
  if (ws.readyState === WebSocket.CLOSED) throw new Error('Already closed')
  return withTimeout(
    new Promise((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    ),
    timeoutMs,
    'the WebSocket close',
  )
}

/** Proves the server still serves a well-behaved WebSocket client (an echo application). */
export async function assertEchoes(url: string): Promise<void> {
  const ws = await openClient(url)
  ws.send('still there?')
  const [data] = await nextMessage(ws)
  if (data.toString() !== 'still there?') throw new Error(`Echo was ${data.toString()}`)
  ws.close(1000)
  await closeOf(ws)
}

/** Writes raw bytes on a TCP connection and collects everything until the server closes it. */
export function rawExchange(
  port: number,
  data: string | Buffer,
  timeoutMs = 2000,
): Promise<string> {
  return withTimeout(
    new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1')
      onTestFinished(() => {
        socket.destroy()
      })
      const chunks: Buffer[] = []
      socket.on('data', (chunk) => chunks.push(chunk))
      socket.on('error', () => {})
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')))
      socket.write(data)
    }),
    timeoutMs,
    'the server to close the raw connection',
  )
}

/** A plain HTTP request; resolves with status, headers and the whole body. */
export function httpRequest(
  port: number,
  path: string,
  options: {
    method?: string
    headers?: Record<string, string | string[]>
    body?: Buffer | string
  } = {},
): Promise<{
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}> {
  return withTimeout(
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path,
          method: options.method ?? 'GET',
          headers: options.headers,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks),
            }),
          )
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      req.end(options.body)
    }),
    3000,
    `the response to ${path}`,
  )
}

/** A promise with its resolve function, for applications that wait on the test. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {}
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

/** Rejects when `promise` has not settled within `timeoutMs`. */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    )
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

function waitUntil<T>(
  find: () => T | undefined,
  subscribe: (wake: () => void) => void,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const found = find()
  if (found !== undefined) return Promise.resolve(found)
  return withTimeout(
    new Promise<T>((resolve) => {
      subscribe(() => {
        const value = find()
        if (value !== undefined) resolve(value)
      })
    }),
    timeoutMs,
    what,
  )
}

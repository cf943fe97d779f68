// After 500 hostile connections of every kind in the catalogue, the server holds no more
// memory than before (heap and buffers, measured after forced garbage collection), its
// connections and application instances are all gone, and the well-behaved client is still
// served. The server runs in this process, so `process.memoryUsage()` measures it.
import type { Socket } from 'node:net'
import {
  type Application,
  JsonWebsocketConsumer,
  WebsocketConsumer,
  type WebsocketFrame,
} from '@node-channels/core'
import { ProtocolTypeRouter, path, URLRouter } from '@node-channels/router'
import type { ServerLogger } from '@node-channels/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  clientFrame,
  GoodClient,
  handshakeRequest,
  inBatches,
  measureMemory,
  openRawWebSocket,
  rawExchange,
  startServer,
  type TestServer,
  untilServerConnections,
  waitFor,
} from './harness.js'

const ATTACKS = 500
const MESSAGE_TIMEOUT_MS = 300
const HEADERS_TIMEOUT_MS = 400
const MAX_GROWTH_BYTES = 10 * 1024 * 1024

let running = 0
const runningWaiters = new Set<() => void>()

/** Counts the WebSocket application instances alive, so the test can wait for all to end. */
function counted(inner: Application): Application {
  return async (scope, receive, send) => {
    if (scope.type !== 'websocket') return inner(scope, receive, send)
    running++
    try {
      await inner(scope, receive, send)
    } finally {
      running--
      for (const wake of runningWaiters) wake()
    }
  }
}

class Echo extends WebsocketConsumer {
  override receive({ textData, bytesData }: WebsocketFrame): Promise<void> {
    return this.send({ textData, bytesData })
  }
}

class JsonEcho extends JsonWebsocketConsumer {
  override receiveJson(content: unknown): Promise<void> {
    return this.sendJson(content)
  }
}

/** Counts the lines instead of keeping them, so the logger holds no memory. */
const quietLogger: ServerLogger & { count: number } = {
  count: 0,
  debug() {},
  warn() {
    quietLogger.count++
  },
  error() {
    quietLogger.count++
  },
}

let server: TestServer
let good: GoodClient

beforeAll(async () => {
  server = await startServer(
    counted(
      ProtocolTypeRouter({
        websocket: URLRouter([
          path('ws/echo/', Echo.asAsgi()),
          path('ws/json/', JsonEcho.asAsgi()),
        ]),
      }),
    ),
    {
      websocketMessageTimeoutMs: MESSAGE_TIMEOUT_MS,
      headersTimeoutMs: HEADERS_TIMEOUT_MS,
      logger: quietLogger,
      accessLog: null,
    },
  )
  good = await GoodClient.open(server.port)
})

afterAll(async () => {
  await good.close()
  await server.handle.close()
})

/** Writes `bytes` on a raw WebSocket, answers the server's close, and waits for the end. */
async function onOpenSocket(path: string, bytes: Buffer, cut = false): Promise<number | null> {
  const raw = await openRawWebSocket(server.port, path, false)
  raw.socket.write(bytes)
  if (cut) {
    raw.socket.destroy()
    await raw.ended
    return null
  }
  const close = await raw.closeFrame
  if (!raw.socket.destroyed) raw.socket.end(clientFrame(0x8, Buffer.from([0x03, 0xe8])))
  await raw.ended
  return close?.code ?? null
}

const text = (payload: Buffer | string, fin = true) => clientFrame(0x1, payload, { fin })

/** One attack of each kind in the catalogue, by index; resolves with what the server answered. */
const KINDS: Array<[string, () => Promise<number | null>]> = [
  [
    'foreign origin',
    async () =>
      (
        await rawExchange(
          server.port,
          handshakeRequest('/ws/echo/', server.port, ['Origin: https://evil.example']),
        )
      ).status,
  ],
  ['unfinished fragmented message', () => onOpenSocket('/ws/echo/', text('part', false))],
  [
    'oversized frame',
    () =>
      onOpenSocket('/ws/echo/', clientFrame(0x2, Buffer.alloc(0), { announcedLength: 2 ** 21 })),
  ],
  ['invalid UTF-8', () => onOpenSocket('/ws/echo/', text(Buffer.from([0xff, 0xfe, 0xfd])))],
  [
    'message flood',
    () =>
      onOpenSocket(
        '/ws/echo/',
        Buffer.concat(Array.from({ length: 300 }, (_, i) => text(`m${i}`))),
      ),
  ],
  [
    'slowloris',
    async () =>
      (
        await rawExchange(
          server.port,
          (socket: Socket) => socket.write('GET /ws/echo/ HTTP/1.1\r\n'),
          3000,
        )
      ).status,
  ],
  [
    'header flood',
    async () =>
      (
        await rawExchange(
          server.port,
          handshakeRequest(
            '/ws/echo/',
            server.port,
            Array.from({ length: 3000 }, (_, i) => `X-Flood-${i}: x`),
          ),
        )
      ).status,
  ],
  [
    'prototype pollution',
    () =>
      onOpenSocket(
        '/ws/json/',
        Buffer.concat([
          text('{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 2}}}'),
          clientFrame(0x8, Buffer.from([0x03, 0xe8])),
        ]),
      ),
  ],
  [
    'half a large message, then gone',
    () =>
      onOpenSocket('/ws/echo/', text(Buffer.alloc(900 * 1024), true).subarray(0, 600 * 1024), true),
  ],
  [
    'fragments past the size limit',
    () =>
      onOpenSocket(
        '/ws/echo/',
        Buffer.concat([
          text(Buffer.alloc(64 * 1024), false),
          ...Array.from({ length: 17 }, () =>
            clientFrame(0x0, Buffer.alloc(64 * 1024), { fin: false }),
          ),
        ]),
      ),
  ],
]

const EXPECTED: Record<string, number | null> = {
  'foreign origin': 403,
  'unfinished fragmented message': 1008,
  'oversized frame': 1009,
  'invalid UTF-8': 1007,
  'message flood': 1008,
  slowloris: 408,
  'header flood': 431,
  'prototype pollution': 1000,
  'half a large message, then gone': null,
  'fragments past the size limit': 1009,
}

/** Waits until only the good client's application instance is left. */
async function untilOneInstance(): Promise<void> {
  await waitFor(() => (running === 1 ? true : undefined), runningWaiters, 5000, 'one instance left')
}

/**
 * Runs `count` attacks, 50 at a time, cycling through the kinds; the good client must get an
 * echo after every 50th. Returns the unexpected answers (only those are kept, so that the
 * test itself holds no memory per attack).
 */
async function runAttacks(count: number): Promise<string[]> {
  const unexpected: string[] = []
  await inBatches(count, 50, async (index) => {
    const [kind, attack] = KINDS[index % KINDS.length] ?? ['none', async () => null]
    const answer = await attack()
    if (answer !== EXPECTED[kind] && unexpected.length < 20) unexpected.push(`${kind}: ${answer}`)
    if (index % 50 === 0) await good.assertEchoes()
  })
  return unexpected
}

describe('memory after 500 hostile connections', () => {
  it('returns to its baseline, and the well-behaved client is served throughout', async () => {
    // Each kind once, then a concurrent round, so that lazily built state and compiled code
    // are part of the baseline.
    for (const [kind, attack] of KINDS) {
      expect([kind, await attack()]).toEqual([kind, EXPECTED[kind]])
    }
    expect(await runAttacks(50)).toEqual([])
    await untilServerConnections(server.handle, 1)
    await untilOneInstance()
    await good.assertEchoes()
    const baseline = measureMemory()

    expect(await runAttacks(ATTACKS)).toEqual([])
    await untilServerConnections(server.handle, 1)
    await untilOneInstance()
    await good.assertEchoes()

    const after = measureMemory()
    const growth = {
      heapUsed: after.heapUsed - baseline.heapUsed,
      arrayBuffers: after.arrayBuffers - baseline.arrayBuffers,
    }
    const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`
    console.info(
      `memory after ${ATTACKS} hostile connections: heapUsed ${mb(baseline.heapUsed)} -> ${mb(after.heapUsed)} (${mb(growth.heapUsed)}), ` +
        `arrayBuffers ${mb(baseline.arrayBuffers)} -> ${mb(after.arrayBuffers)} (${mb(growth.arrayBuffers)}); ${quietLogger.count} log lines`,
    )
    expect(growth.heapUsed).toBeLessThan(MAX_GROWTH_BYTES)
    expect(growth.arrayBuffers).toBeLessThan(MAX_GROWTH_BYTES)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

import http from 'node:http'
import { Session } from 'node:inspector/promises'
import type { AddressInfo } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { InMemoryChannelLayer, setChannelLayer } from '@node-channels/core'
import { ProtocolTypeRouter, path, URLRouter } from '@node-channels/router'
import { serve } from '@node-channels/server'
import { WebSocketServer } from 'ws'
import { EchoConsumer } from '../servers/echo-consumer.js'
import { CLIENTS_SCRIPT, type Clients, startClients } from './clients.js'

/** The servers `measureConnectionMemory()` compares: node-channels' echo consumer, or raw ws echoing. */
export type ConnectionMemoryServer = 'node-channels' | 'raw-ws'

/** What `measureConnectionMemory()` runs. */
export type ConnectionMemoryOptions = {
  server: ConnectionMemoryServer
  /** Connections opened and held (their clients in a process of their own). */
  connections: number
  /** Whether each client sends an `Origin` header (the server's own), as a browser does. */
  origin: boolean
  /** The clients' script (built clients-process.js); by default the one beside this module. */
  clientsScript?: string
}

/** Per connection, in bytes. */
export type ConnectionMemoryResult = {
  /** V8 heap the server keeps per idle connection: the heap after a full collection, before and after. */
  heapBytes: number
  /** What the server allocated per handshake, collected objects included (V8's sampling heap profiler). */
  allocatedBytes: number
}

const ECHO_PATH = '/echo/'
const WARM_UP_CONNECTIONS = 200
const SETTLE_MS = 300

/** A server in this process: its port, and how to close it. */
type Target = { port: number; close(): Promise<void> }

async function nodeChannelsTarget(): Promise<Target> {
  setChannelLayer(new InMemoryChannelLayer())
  const application = ProtocolTypeRouter({
    websocket: URLRouter([path(ECHO_PATH.slice(1), EchoConsumer.asAsgi())]),
  })
  // Every client comes from 127.0.0.1, so the per-address cap is off (as in the benchmark).
  const handle = await serve(application, {
    host: '127.0.0.1',
    port: 0,
    maxConnectionsPerClient: null,
  })
  return { port: (handle.server.address() as AddressInfo).port, close: () => handle.close() }
}

async function rawWsTarget(): Promise<Target> {
  const server = http.createServer((_request, response) => {
    response.writeHead(404).end()
  })
  const wss = new WebSocketServer({ server })
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const ws of wss.clients) ws.terminate()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** V8's full collection, made callable in this process. */
function fullCollection(): () => void {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Measures, in one process, what a server keeps per idle WebSocket connection and what it
 * allocates per handshake. Warms up with a few hundred connections first (so code compiled on
 * first use is not counted), then opens `connections` more.
 */
export async function measureConnectionMemory(
  options: ConnectionMemoryOptions,
): Promise<ConnectionMemoryResult> {
  const { connections } = options
  const gc = fullCollection()
  const target = options.server === 'raw-ws' ? await rawWsTarget() : await nodeChannelsTarget()
  const script = options.clientsScript ?? CLIENTS_SCRIPT
  const args = (count: number) => [
    target.port,
    count,
    1,
    ECHO_PATH,
    ...(options.origin ? [`http://127.0.0.1:${target.port}`] : []),
  ]
  const session = new Session()
  session.connect()
  const started: Clients[] = []
  /** Opens `count` clients; resolves once all are open. */
  const open = async (count: number): Promise<Clients> => {
    const clients = await startClients(script, args(count))
    started.push(clients)
    return clients
  }
  /** Closes `clients` and collects what they left. */
  const close = async (clients: Clients): Promise<void> => {
    clients.stop()
    await delay(SETTLE_MS)
    gc()
  }
  try {
    // Warm-up, then the heap kept (without the profiler, which adds its own), then what a
    // handshake allocates.
    await close(await open(WARM_UP_CONNECTIONS))
    const heapBefore = process.memoryUsage().heapUsed
    const held = await open(connections)
    await delay(SETTLE_MS)
    gc()
    const heapBytes = (process.memoryUsage().heapUsed - heapBefore) / connections
    await close(held)
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 256,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    })
    await open(connections)
    const { profile } = await session.post('HeapProfiler.stopSampling')
    return { heapBytes, allocatedBytes: sampledBytes(profile.head) / connections }
  } finally {
    for (const clients of started) clients.stop()
    session.disconnect()
    await target.close()
  }
}

/** The bytes a sampling heap profile attributes to `node` and everything below it. */
function sampledBytes(node: { selfSize: number; children: (typeof node)[] }): number {
  let total = node.selfSize
  for (const child of node.children) total += sampledBytes(child)
  return total
}

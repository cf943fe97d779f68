import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { InMemoryChannelLayer, setChannelLayer } from '@node-channels/core'
import { ProtocolTypeRouter, path, URLRouter } from '@node-channels/router'
import { serve } from '@node-channels/server'
import { WebSocketServer } from 'ws'
import { CorkedGroup } from '../servers/corked-group.js'
import { CLIENTS_SCRIPT, type Clients, startClients } from './clients.js'
import { GROUP, Member, RelayingMember, TEXT } from './members.js'

/**
 * How a group of WebSocket members is sent to: node-channels with a `chat_message` handler,
 * node-channels with the type relayed, or a raw ws server that frames each message once and
 * corks every member's socket until the flush (the benchmark's bar).
 */
export type GroupSendForm = 'handler' | 'relays' | 'cork'

/** What `measureGroupSendPath()` runs. */
export type GroupSendPathOptions = {
  form: GroupSendForm
  /** Members of the group, each with a ws client (in a process of their own). */
  members: number
  /** Rounds measured (after two rounds of warm-up). */
  rounds: number
  /** Messages sent to the group, one after another, in each round's one synchronous run. */
  burst: number
  /** Bound on each round's wait for its deliveries. */
  roundTimeoutMs?: number
  /** The clients' script (built clients-process.js); by default the one beside this module. */
  clientsScript?: string
}

/** Per delivery, in nanoseconds. */
export type GroupSendPathResult = {
  /** Wall time of the synchronous run of sends (node-channels: `layer.groupSend()`), median and minimum over the rounds. */
  sendMedianNs: number
  sendMinNs: number
  /** CPU time from the end of that run to the end of the turn's output flush (the handlers, if any, and the socket writes). */
  restUserNs: number
  restSystemNs: number
}

/** A server in this process, and how one synchronous run sends `burst` messages to its group. */
type Target = {
  port: number
  sendBurst(burst: number): void
  close(): Promise<void>
}

async function nodeChannelsTarget(form: 'handler' | 'relays'): Promise<Target> {
  const layer = new InMemoryChannelLayer()
  setChannelLayer(layer)
  const member = form === 'relays' ? RelayingMember : Member
  const application = ProtocolTypeRouter({
    websocket: URLRouter([path('group/', member.asAsgi())]),
  })
  const handle = await serve(application, {
    host: '127.0.0.1',
    port: 0,
    maxConnectionsPerClient: null,
  })
  return {
    port: (handle.server.address() as AddressInfo).port,
    sendBurst(burst) {
      for (let i = 0; i < burst; i++)
        void layer.groupSend(GROUP, { type: 'chat.message', text: TEXT })
    },
    close: () => handle.close(),
  }
}

/** The bar's server (as bench/src/servers/programs/raw-ws-cork.ts), its flush at the end of the turn. */
async function corkTarget(): Promise<Target> {
  const server = http.createServer((_request, response) => {
    response.writeHead(404).end()
  })
  const wss = new WebSocketServer({ noServer: true })
  const group = new CorkedGroup()
  server.on('upgrade', (request, socket, head) => {
    wss.handleUpgrade(request, socket, head, (ws) => group.add(ws, socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const payload = Buffer.from(TEXT)
  return {
    port: (server.address() as AddressInfo).port,
    sendBurst(burst) {
      for (let i = 0; i < burst; i++) group.broadcast(payload, false)
    },
    close: async () => {
      for (const ws of group.members()) ws.terminate()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/**
 * Measures, in one process, what a burst of group sends costs per delivery before the socket
 * writes (the synchronous run of sends) and after it (the rest of the turn: handlers and the
 * flush). The clients read in later turns, outside both windows.
 */
export async function measureGroupSendPath(
  options: GroupSendPathOptions,
): Promise<GroupSendPathResult> {
  const { form, members, rounds, burst } = options
  const roundTimeoutMs = options.roundTimeoutMs ?? 10_000
  const target = form === 'cork' ? await corkTarget() : await nodeChannelsTarget(form)
  let clients: Clients | null = null
  try {
    clients = await startClients(options.clientsScript ?? CLIENTS_SCRIPT, [
      target.port,
      members,
      burst * members,
    ])
    // The members joined the group in their connect handlers, which ran before their clients
    // were open; a round waits for every member's delivery, so a missing one times out.
    const sendNs: number[] = []
    let restUser = 0
    let restSystem = 0
    for (let round = -2; round < rounds; round++) {
      const started = process.hrtime.bigint()
      target.sendBurst(burst)
      const sent = process.hrtime.bigint()
      const cpu = process.cpuUsage()
      await nextTurn()
      const rest = process.cpuUsage(cpu)
      await clients.nextRound(roundTimeoutMs)
      if (round < 0) continue
      sendNs.push(Number(sent - started) / (burst * members))
      restUser += rest.user
      restSystem += rest.system
    }
    sendNs.sort((a, b) => a - b)
    const measured = rounds * burst * members
    return {
      sendMedianNs: sendNs[Math.floor(sendNs.length / 2)] ?? Number.NaN,
      sendMinNs: sendNs[0] ?? Number.NaN,
      restUserNs: (restUser * 1000) / measured,
      restSystemNs: (restSystem * 1000) / measured,
    }
  } finally {
    clients?.stop()
    await target.close()
  }
}

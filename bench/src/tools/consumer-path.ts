import {
  type Application,
  type ChannelLayer,
  type ChannelReceiver,
  InMemoryChannelLayer,
  kServerPort,
  type Message,
  sendDone,
  setChannelLayer,
  type WebSocketScope,
} from '@node-channels/core'
import { RedisChannelLayer } from '@node-channels/redis'
import { startRedis } from '../process/redis-instance.js'
import { GROUP, Member, RelayingMember, SyncMember, TEXT } from './members.js'

/**
 * How the members take a group message: an async `chat_message` handler awaiting its send,
 * a synchronous one, or the type relayed.
 */
export type ConsumerPathForm = 'handler' | 'sync-handler' | 'relays'

/**
 * The layer between the group sends and the members: the in-memory layer, or a
 * RedisChannelLayer on a private redis-server (the members' channels are this process's, so
 * each group send stores one message, which this process pops and hands to every member).
 */
export type ConsumerPathLayer = 'memory' | 'redis'

/** What `measureConsumerPath()` runs. */
export type ConsumerPathOptions = {
  form: ConsumerPathForm
  layer: ConsumerPathLayer
  /** Members of the group, each a consumer served by a stand-in for the server. */
  members: number
  /** Rounds measured (after ten rounds of warm-up). */
  rounds: number
  /** Messages sent to the group in each round, in one synchronous run (not awaited one by one). */
  burst: number
}

/** Per delivery, in nanoseconds. */
export type ConsumerPathResult = {
  /** CPU time of the rounds (the group sends, the handlers or relays, the sends) per delivery. */
  userNs: number
  systemNs: number
  /** Wall time of a round, from the first group send to the last member's send. */
  roundUs: number
  /** CPU time of the private redis-server during the rounds, per delivery; null in memory. */
  redisNs: number | null
}

const MEMBER_CLASSES = { handler: Member, 'sync-handler': SyncMember, relays: RelayingMember }

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
/** A round not delivered in full within this time fails the measurement. */
const ROUND_TIMEOUT_MS = 10_000
const REDIS_PREFIX = 'bench-consumer-path:'

/**
 * Serves `members` connections of the form's consumer with a stand-in for the server, in
 * this process and without sockets: its port (`kServerPort`) hands events over through
 * `receiveInto()` and counts `websocket.send` messages, done at once, as the server's does.
 * What it measures is the consumers' and the layer's part of a group delivery. A round ends
 * when every member has sent every message of the round (the in-memory layer's within the
 * turn of the group sends, Redis' after its round trips).
 */
export async function measureConsumerPath(
  options: ConsumerPathOptions,
): Promise<ConsumerPathResult> {
  const { form, members, rounds, burst } = options
  const capacity = Math.max(100, burst)
  const redis = options.layer === 'redis' ? await startRedis() : null
  const layer: ChannelLayer =
    redis === null
      ? new InMemoryChannelLayer({ capacity })
      : new RedisChannelLayer({ hosts: [redis.url], prefix: REDIS_PREFIX, capacity })
  try {
    setChannelLayer(layer)
    const redisCpuMs = redis === null ? null : () => redis.server.cpuTimeMs()
    return await measureRounds(layer, form, members, rounds, burst, redisCpuMs)
  } finally {
    await layer.close()
    await redis?.server.stop()
  }
}

async function measureRounds(
  layer: ChannelLayer,
  form: ConsumerPathForm,
  members: number,
  rounds: number,
  burst: number,
  redisCpuMs: (() => number) | null,
): Promise<ConsumerPathResult> {
  const application = MEMBER_CLASSES[form].asAsgi()
  let accepted = 0
  let sent = 0
  let expected = 0
  let delivered = (): void => {}
  const send = (message: Message): Promise<void> => {
    if (message.type === 'websocket.send' && ++sent === expected) delivered()
    else if (message.type === 'websocket.accept') accepted++
    return sendDone
  }
  const readers: (ChannelReceiver | null)[] = []
  const served: Promise<unknown>[] = []
  for (let index = 0; index < members; index++) {
    served.push(serve(application, readers, index, send))
  }
  // Each consumer arms its receive once its channel is made (a microtask or two later).
  await nextTurn()
  for (const reader of readers) {
    if (reader === null) throw new Error('A member did not read its events.')
    reader.deliver({ type: 'websocket.connect' })
  }
  // Every member joins the group (a round trip each on Redis), then accepts.
  for (let waited = 0; accepted < members && waited < ROUND_TIMEOUT_MS; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  if (accepted !== members) throw new Error(`${accepted} of ${members} members joined.`)
  const message = { type: 'chat.message', text: TEXT }
  let user = 0
  let system = 0
  let wall = 0
  let redisMs = 0
  for (let round = -10; round < rounds; round++) {
    sent = 0
    expected = burst * members
    let timer: NodeJS.Timeout | undefined
    const done = new Promise<boolean>((resolve) => {
      delivered = () => resolve(true)
      timer = setTimeout(() => resolve(false), ROUND_TIMEOUT_MS)
    })
    // Read outside the window the tool's own CPU time is taken in.
    const redisBefore = redisCpuMs?.() ?? 0
    const cpu = process.cpuUsage()
    const started = performance.now()
    for (let i = 0; i < burst; i++) void layer.groupSend(GROUP, message)
    const complete = await done
    const elapsed = performance.now() - started
    const used = process.cpuUsage(cpu)
    const redisUsed = (redisCpuMs?.() ?? 0) - redisBefore
    clearTimeout(timer)
    // Outside the measurement: a send more than expected in the turn is an error as well.
    if (complete) await nextTurn()
    if (sent !== expected) {
      throw new Error(`Round ${round}: ${sent} messages were sent, not ${expected}.`)
    }
    if (round < 0) continue
    user += used.user
    system += used.system
    wall += elapsed
    redisMs += redisUsed
  }
  // Each member's next read is armed: the disconnect ends every consumer cleanly.
  for (const reader of readers) reader?.deliver({ type: 'websocket.disconnect', code: 1000 })
  await Promise.all(served)
  const deliveries = rounds * burst * members
  return {
    userNs: (user * 1000) / deliveries,
    systemNs: (system * 1000) / deliveries,
    roundUs: (wall * 1000) / rounds,
    redisNs: redisCpuMs === null ? null : (redisMs * 1e6) / deliveries,
  }
}

/** Calls the application for connection `index`, keeping the receiver its consumer last armed. */
function serve(
  application: Application,
  readers: (ChannelReceiver | null)[],
  index: number,
  send: (message: Message) => Promise<void>,
): Promise<unknown> {
  readers[index] = null
  const port = {
    receiveInto: (receiver: ChannelReceiver) => {
      readers[index] = receiver
    },
    send,
  }
  const receive = Object.assign(() => new Promise<Message>(() => {}), { [kServerPort]: port })
  const scope: WebSocketScope = {
    type: 'websocket',
    path: '/group/',
    query_string: '',
    headers: [],
    subprotocols: [],
  }
  const sendThroughPort = Object.assign((message: Message) => port.send(message), {
    [kServerPort]: port,
  })
  return application(scope, receive, sendThroughPort)
}

import {
  type Application,
  type ChannelReceiver,
  InMemoryChannelLayer,
  kReceiveInto,
  type Message,
  sendDone,
  setChannelLayer,
  type WebSocketScope,
} from '@node-channels/core'
import { GROUP, Member, RelayingMember, SyncMember, TEXT } from './members.js'

/**
 * How the members take a group message: an async `chat_message` handler awaiting its send,
 * a synchronous one, or the type relayed.
 */
export type ConsumerPathForm = 'handler' | 'sync-handler' | 'relays'

/** What `measureConsumerPath()` runs. */
export type ConsumerPathOptions = {
  form: ConsumerPathForm
  /** Members of the group, each a consumer served by a stand-in for the server. */
  members: number
  /** Rounds measured (after ten rounds of warm-up). */
  rounds: number
  /** Messages sent to the group, one after another, in each round's one synchronous run. */
  burst: number
}

/** Per delivery, in nanoseconds. */
export type ConsumerPathResult = {
  /** CPU time of the rounds (the group sends, the handlers or relays, the sends) per delivery. */
  userNs: number
  systemNs: number
}

const MEMBER_CLASSES = { handler: Member, 'sync-handler': SyncMember, relays: RelayingMember }

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/**
 * Serves `members` connections of the form's consumer with a stand-in for the server, in
 * this process and without sockets: its `receive` hands events over through `kReceiveInto`
 * and its `send` counts `websocket.send` messages and is done at once, as the server's is.
 * What it measures is the consumers' and the in-memory layer's part of a group delivery.
 */
export async function measureConsumerPath(
  options: ConsumerPathOptions,
): Promise<ConsumerPathResult> {
  const { form, members, rounds, burst } = options
  const layer = new InMemoryChannelLayer({ capacity: Math.max(100, burst) })
  setChannelLayer(layer)
  const application = MEMBER_CLASSES[form].asAsgi()
  let sent = 0
  const send = (message: Message): Promise<void> => {
    if (message.type === 'websocket.send') sent++
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
  await nextTurn()
  const joined = layer.groups.get(GROUP)?.length ?? 0
  if (joined !== members) throw new Error(`${joined} of ${members} members joined the group.`)
  const message = { type: 'chat.message', text: TEXT }
  let user = 0
  let system = 0
  for (let round = -10; round < rounds; round++) {
    sent = 0
    const cpu = process.cpuUsage()
    for (let i = 0; i < burst; i++) void layer.groupSend(GROUP, message)
    await nextTurn()
    const used = process.cpuUsage(cpu)
    if (sent !== burst * members) {
      throw new Error(`Round ${round}: ${sent} of ${burst * members} messages were sent.`)
    }
    if (round < 0) continue
    user += used.user
    system += used.system
  }
  // Each member's next read is armed: the disconnect ends every consumer cleanly.
  for (const reader of readers) reader?.deliver({ type: 'websocket.disconnect', code: 1000 })
  await Promise.all(served)
  await layer.close()
  const deliveries = rounds * burst * members
  return { userNs: (user * 1000) / deliveries, systemNs: (system * 1000) / deliveries }
}

/** Calls the application for connection `index`, keeping the receiver its consumer last armed. */
function serve(
  application: Application,
  readers: (ChannelReceiver | null)[],
  index: number,
  send: (message: Message) => Promise<void>,
): Promise<unknown> {
  readers[index] = null
  const receive = Object.assign(() => new Promise<Message>(() => {}), {
    [kReceiveInto]: (receiver: ChannelReceiver) => {
      readers[index] = receiver
    },
  })
  const scope: WebSocketScope = {
    type: 'websocket',
    path: '/group/',
    query_string: '',
    headers: [],
    subprotocols: [],
  }
  return application(scope, receive, send)
}

// Test helpers: a chat client over WebsocketCommunicator that joins a room and reads frames.
import {
  type Application,
  InMemoryChannelLayer,
  resetChannelLayers,
  setChannelLayer,
} from '@node-channels/core'
import { URLRouter } from '@node-channels/router'
import { WebsocketCommunicator } from '@node-channels/testing'
import { afterEach, beforeEach, onTestFinished } from 'vitest'
import type { ChatLogger } from './consumers.js'
import type { HistoryStore } from './history.js'
import type { ChatEntry, Member, ServerMessage } from './protocol.js'
import { websocketUrlpatterns } from './routing.js'

/** Gives every test of the file (call at its top level) a fresh in-memory channel layer, reset after it. */
export function inMemoryLayerPerTest(): void {
  beforeEach(() => {
    setChannelLayer(new InMemoryChannelLayer())
  })
  afterEach(async () => {
    await resetChannelLayers()
  })
}

/** A chat entry numbered `n`. */
export function entry(n: number): ChatEntry {
  return { id: `id-${n}`, authorId: 'a', nickname: 'Ada', message: `message ${n}`, sentAt: n }
}

/** The chat's WebSocket routes, without the origin check. */
export function chatRouter(
  history: HistoryStore,
  options: { presenceIntervalMs?: number; logger?: ChatLogger } = {},
): Application {
  return URLRouter(websocketUrlpatterns({ history, ...options }))
}

/** A logger that keeps what it is told. */
export function recordingLogger(): ChatLogger & { lines: string[] } {
  const lines: string[] = []
  return { lines, warn: (line) => lines.push(line) }
}

/** A joined chat client: the communicator, who it is, and what it was shown on joining. */
export interface JoinedClient {
  communicator: WebsocketCommunicator
  me: Member
  history: ChatEntry[]
  members: Member[]
  /** The next frame, parsed. */
  next(timeoutMs?: number): Promise<ServerMessage>
  /** Reads frames until one of `type` arrives, skipping presence (`members`, `joined`) frames. */
  nextOf<T extends ServerMessage['type']>(
    type: T,
    timeoutMs?: number,
  ): Promise<Extract<ServerMessage, { type: T }>>
  say(message: string): Promise<void>
}

/** Connects to `/ws/chat/<room>/` (the room as given, unencoded) and accepts the connection. */
export async function connectTo(app: Application, room: string): Promise<WebsocketCommunicator> {
  const communicator = new WebsocketCommunicator(app, `/ws/chat/${room}/`)
  onTestFinished(() => communicator.disconnect().catch(() => undefined))
  const [connected] = await communicator.connect()
  if (!connected) throw new Error(`The connection to room ${JSON.stringify(room)} was refused.`)
  return communicator
}

/** Connects and joins under `nickname`, reading the welcome, history and member list. */
export async function join(
  app: Application,
  room: string,
  nickname: string,
): Promise<JoinedClient> {
  const communicator = await connectTo(app, room)
  const next = async (timeoutMs = 1000) =>
    (await communicator.receiveJsonFrom({ timeoutMs })) as ServerMessage
  const nextOf = async <T extends ServerMessage['type']>(type: T, timeoutMs = 1000) => {
    // Bounded: a handful of presence frames may come first.
    for (let skipped = 0; skipped < 20; skipped += 1) {
      const message = await next(timeoutMs)
      if (message.type === type) return message as Extract<ServerMessage, { type: T }>
      if (message.type !== 'members' && message.type !== 'joined') {
        throw new Error(`Expected a ${type} frame, got ${JSON.stringify(message)}.`)
      }
    }
    throw new Error(`No ${type} frame among the next 20 frames.`)
  }
  await communicator.sendJsonTo({ type: 'join', nickname })
  const welcome = await next()
  if (welcome.type !== 'welcome')
    throw new Error(`Expected welcome, got ${JSON.stringify(welcome)}.`)
  const history = await next()
  if (history.type !== 'history')
    throw new Error(`Expected history, got ${JSON.stringify(history)}.`)
  const members = await next()
  if (members.type !== 'members')
    throw new Error(`Expected members, got ${JSON.stringify(members)}.`)
  return {
    communicator,
    me: welcome.you,
    history: history.messages,
    members: members.members,
    next,
    nextOf,
    say: (message) => communicator.sendJsonTo({ type: 'message', message }),
  }
}

/** Reads member-list updates until one lists exactly `nicknames` (sorted); bounded. */
export async function membersBecome(client: JoinedClient, nicknames: string[]): Promise<Member[]> {
  for (let read = 0; read < 20; read += 1) {
    const message = await client.next()
    if (message.type !== 'members') continue
    const names = message.members.map((member) => member.nickname)
    if (JSON.stringify(names) === JSON.stringify(nicknames)) return message.members
  }
  throw new Error(`The member list never became ${JSON.stringify(nicknames)}.`)
}

// The chat consumer, as the tutorial tests it and beyond: rooms, members, presence, history.
import { getChannelLayer } from '@node-channels/core'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  chatRouter,
  connectTo,
  inMemoryLayerPerTest,
  join,
  membersBecome,
  recordingLogger,
} from './chat-client.test-util.js'
import { ChatConsumer } from './consumers.js'
import { InMemoryHistoryStore } from './history.js'
import { roomGroupName } from './rooms.js'

inMemoryLayerPerTest()

let history: InMemoryHistoryStore

beforeEach(() => {
  history = new InMemoryHistoryStore()
})

describe('ChatConsumer: the tutorial', () => {
  it('shows a message to its sender and to the other member of the room', async () => {
    const app = chatRouter(history)
    const ada = await join(app, 'lobby', 'Ada')
    const bob = await join(app, 'lobby', 'Bob')
    await ada.say('hello')
    for (const client of [ada, bob]) {
      const message = await client.nextOf('message')
      expect(message).toMatchObject({
        type: 'message',
        message: 'hello',
        nickname: 'Ada',
        authorId: ada.me.id,
      })
      expect(message.id).toMatch(/^[0-9a-f-]{36}$/)
      expect(Math.abs(message.sentAt - Date.now())).toBeLessThan(5000)
    }
    await bob.say('hi Ada')
    expect(await ada.nextOf('message')).toMatchObject({ message: 'hi Ada', nickname: 'Bob' })
    expect(await bob.nextOf('message')).toMatchObject({ message: 'hi Ada', nickname: 'Bob' })
  })

  it('keeps rooms apart', async () => {
    const app = chatRouter(history)
    const ada = await join(app, 'lobby', 'Ada')
    const bob = await join(app, 'kitchen', 'Bob')
    await ada.say('only for the lobby')
    expect(await ada.nextOf('message')).toMatchObject({ message: 'only for the lobby' })
    await bob.communicator.receiveNothing({ timeoutMs: 100 })
    expect(await history.recent(roomGroupName('kitchen'))).toEqual([])
  })

  it('joins the room group in connect() and leaves it on disconnect', async () => {
    const app = chatRouter(history)
    const communicator = await connectTo(app, 'lobby')
    const layer = getChannelLayer()
    // A group send reaches the socket only once the client joined; before, it is dropped.
    await layer?.groupSend('chat_lobby', {
      type: 'chat.message',
      id: 'x1',
      authorId: 'a',
      nickname: 'Zed',
      message: 'too early',
      sentAt: 1,
    })
    await communicator.receiveNothing({ timeoutMs: 50 })
    await communicator.disconnect()
    expect(await history.recent('chat_lobby')).toEqual([])
  })
})

describe('ChatConsumer: joining and members', () => {
  it('welcomes a joiner with its member id, the history and the member list', async () => {
    const app = chatRouter(history)
    const communicator = await connectTo(app, 'lobby')
    await communicator.sendJsonTo({ type: 'join', nickname: '  Ada Lovelace ' })
    const welcome = (await communicator.receiveJsonFrom()) as { you: { id: string } }
    expect(welcome).toEqual({
      type: 'welcome',
      room: 'lobby',
      you: { id: welcome.you.id, nickname: 'Ada Lovelace' },
      maxMessageLength: 500,
    })
    expect(await communicator.receiveJsonFrom()).toEqual({ type: 'history', messages: [] })
    expect(await communicator.receiveJsonFrom()).toEqual({
      type: 'members',
      members: [{ id: welcome.you.id, nickname: 'Ada Lovelace' }],
    })
  })

  it('tells members who joins and who leaves, and keeps the member list', async () => {
    const app = chatRouter(history)
    const ada = await join(app, 'lobby', 'Ada')
    const bob = await join(app, 'lobby', 'bob')
    expect(await ada.next()).toEqual({ type: 'joined', member: bob.me })
    expect(await ada.next()).toEqual({ type: 'members', members: [ada.me, bob.me] })
    // Bob learns of Ada from her answer to his hello.
    expect(await membersBecome(bob, ['Ada', 'bob'])).toEqual([ada.me, bob.me])

    const cy = await join(app, 'lobby', 'Cy')
    expect(await membersBecome(cy, ['Ada', 'bob', 'Cy'])).toHaveLength(3)
    expect(await ada.nextOf('joined')).toEqual({ type: 'joined', member: cy.me })

    await bob.communicator.disconnect()
    for (const client of [ada, cy]) {
      expect(await client.nextOf('left')).toEqual({ type: 'left', member: bob.me, reason: 'left' })
      expect(await client.next()).toEqual({ type: 'members', members: [ada.me, cy.me] })
    }
  })

  it('lets two members share a nickname (ids tell them apart)', async () => {
    const app = chatRouter(history)
    const first = await join(app, 'lobby', 'Sam')
    const second = await join(app, 'lobby', 'Sam')
    expect(first.me.id).not.toBe(second.me.id)
    expect(await membersBecome(second, ['Sam', 'Sam'])).toHaveLength(2)
  })

  it('drops a member that stops sending heartbeats (its process died)', async () => {
    const app = chatRouter(history, { presenceIntervalMs: 40 })
    const ada = await join(app, 'lobby', 'Ada')
    const ghost = { id: 'ghost-1', nickname: 'Ghost' }
    const layer = getChannelLayer()
    // A hello from a member in another process that then vanishes without a goodbye.
    await layer?.groupSend('chat_lobby', {
      type: 'presence.hello',
      member: ghost,
      channel: await layer.newChannel(),
    })
    expect(await ada.next()).toEqual({ type: 'joined', member: ghost })
    expect(await ada.next()).toEqual({ type: 'members', members: [ada.me, ghost] })
    // No heartbeat: after three intervals it is gone.
    expect(await ada.nextOf('left', 2000)).toEqual({
      type: 'left',
      member: ghost,
      reason: 'timeout',
    })
    expect(await ada.next()).toEqual({ type: 'members', members: [ada.me] })
  })

  it('keeps members that send heartbeats, and learns of one it missed from its heartbeat', async () => {
    const app = chatRouter(history, { presenceIntervalMs: 100 })
    const ada = await join(app, 'lobby', 'Ada')
    const bob = await join(app, 'lobby', 'Bob')
    await membersBecome(bob, ['Ada', 'Bob'])
    const layer = getChannelLayer()
    await layer?.groupSend('chat_lobby', {
      type: 'presence.heartbeat',
      member: { id: 'late-1', nickname: 'Late' },
      channel: await layer.newChannel(),
    })
    expect(await membersBecome(ada, ['Ada', 'Bob', 'Late'])).toHaveLength(3)
    // Late sends no more heartbeats and drops out; Bob, who does, stays for ten more intervals.
    expect(await ada.nextOf('left')).toEqual({
      type: 'left',
      member: { id: 'late-1', nickname: 'Late' },
      reason: 'timeout',
    })
    expect(await ada.next()).toEqual({ type: 'members', members: [ada.me, bob.me] })
    await ada.communicator.receiveNothing({ timeoutMs: 1000 })
  })

  it('ignores malformed presence and chat events from the layer, with a warning', async () => {
    const logger = recordingLogger()
    const app = chatRouter(history, { logger })
    const ada = await join(app, 'lobby', 'Ada')
    const layer = getChannelLayer()
    await layer?.groupSend('chat_lobby', { type: 'presence.hello', member: { id: 7 } })
    await layer?.groupSend('chat_lobby', { type: 'chat.message', message: 'no id' })
    await ada.communicator.receiveNothing({ timeoutMs: 100 })
    expect(logger.lines).toEqual([
      'Dropped a malformed presence.hello in chat_lobby.',
      'Dropped a malformed chat.message in chat_lobby.',
    ])
  })
})

describe('ChatConsumer: history', () => {
  it('shows a joiner the last 50 messages, oldest first, each once', async () => {
    const app = chatRouter(history)
    const ada = await join(app, 'lobby', 'Ada')
    for (let index = 1; index <= 55; index += 1) {
      await ada.say(`message ${index}`)
      expect(await ada.nextOf('message')).toMatchObject({ message: `message ${index}` })
    }
    const bob = await join(app, 'lobby', 'Bob')
    expect(bob.history.map((entry) => entry.message)).toEqual(
      Array.from({ length: 50 }, (_, index) => `message ${index + 6}`),
    )
    expect(bob.history[0]).toMatchObject({ nickname: 'Ada', authorId: ada.me.id })
    await bob.communicator.receiveNothing({ timeoutMs: 100 })
  })

  it('does not repeat a message that is both in the history and broadcast while joining', async () => {
    const app = chatRouter(history)
    const communicator = await connectTo(app, 'lobby')
    // Stored and broadcast before the join is handled: the consumer drops the broadcast
    // (not joined yet) and shows it in the history.
    const entry = { id: 'e-1', authorId: 'x', nickname: 'Zed', message: 'early', sentAt: 5 }
    await history.append('chat_lobby', entry)
    await getChannelLayer()?.groupSend('chat_lobby', { type: 'chat.message', ...entry })
    await communicator.sendJsonTo({ type: 'join', nickname: 'Ada' })
    expect(await communicator.receiveJsonFrom()).toMatchObject({ type: 'welcome' })
    expect(await communicator.receiveJsonFrom()).toEqual({ type: 'history', messages: [entry] })
    expect(await communicator.receiveJsonFrom()).toMatchObject({ type: 'members' })
    await communicator.receiveNothing({ timeoutMs: 100 })
  })

  it('still joins, with an error, when the history store fails', async () => {
    const logger = recordingLogger()
    const broken = new InMemoryHistoryStore()
    broken.recent = async () => {
      throw new Error('the disk is on fire')
    }
    const app = chatRouter(broken, { logger })
    const communicator = await connectTo(app, 'lobby')
    await communicator.sendJsonTo({ type: 'join', nickname: 'Ada' })
    expect(await communicator.receiveJsonFrom()).toMatchObject({ type: 'welcome' })
    expect(await communicator.receiveJsonFrom()).toEqual({ type: 'history', messages: [] })
    expect(await communicator.receiveJsonFrom()).toEqual({
      type: 'error',
      code: 'history_unavailable',
      message: 'Earlier messages cannot be shown right now.',
      issues: [],
    })
    expect(logger.lines).toEqual(['Could not read the history of chat_lobby: the disk is on fire'])
  })
})

describe('ChatConsumer.asAsgi', () => {
  it('needs a history store', () => {
    expect(() => new ChatConsumer()).toThrow(
      new TypeError('ChatConsumer needs a history store: ChatConsumer.asAsgi({ history }).'),
    )
    expect(() => new ChatConsumer({ history, presenceIntervalMs: 5 })).toThrow(
      new RangeError('presenceIntervalMs must be at least 10, not 5.'),
    )
  })
})

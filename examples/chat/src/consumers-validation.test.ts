import { RouteNotFound } from '@node-channels/router'
import { WebsocketCommunicator } from '@node-channels/testing'
import { beforeEach, describe, expect, it } from 'vitest'
import { chatRouter, connectTo, inMemoryLayerPerTest, join } from './chat-client.test-util.js'
import { INVALID_ROOM_CLOSE_CODE } from './consumers.js'
import { InMemoryHistoryStore } from './history.js'
import { roomGroupName } from './rooms.js'

inMemoryLayerPerTest()

let history: InMemoryHistoryStore

beforeEach(() => {
  history = new InMemoryHistoryStore()
})

describe('ChatConsumer: refused messages', () => {
  const tooLong = 'x'.repeat(501)

  it.each([
    [
      'a message over 500 characters',
      { type: 'message', message: tooLong },
      'Messages can be at most 500 characters long.',
      'message',
    ],
    ['an empty message', { type: 'message', message: '   ' }, 'Type a message first.', 'message'],
    [
      'a message that is not text',
      { type: 'message', message: 42 },
      'A message must be text.',
      'message',
    ],
    [
      'a message with control characters',
      { type: 'message', message: 'bell\u0007' },
      'Messages cannot hold control characters.',
      'message',
    ],
    [
      'an unknown type',
      { type: 'shout', message: 'hi' },
      'Unknown message type: expected "join" or "message".',
      'type',
    ],
    ['a frame that is not an object', [1, 2], 'A message must be a JSON object.', ''],
    [
      'an unknown key',
      { type: 'message', message: 'hi', admin: true },
      'Unrecognized key: "admin"',
      '',
    ],
  ])('answers %s with an error and stays connected', async (_what, frame, message, path) => {
    const app = chatRouter(history)
    const ada = await join(app, 'lobby', 'Ada')
    await ada.communicator.sendJsonTo(frame)
    const error = await ada.next()
    expect(error).toMatchObject({ type: 'error', code: 'invalid_message', message })
    expect(error.type === 'error' && error.issues[0]).toEqual({ path, message })
    // Still connected, and nothing was broadcast or stored.
    expect(await history.recent('chat_lobby')).toEqual([])
    await ada.say('still here')
    expect(await ada.nextOf('message')).toMatchObject({ message: 'still here' })
  })

  it.each([
    ['', 'Choose a nickname first.'],
    ['x'.repeat(25), 'A nickname can be at most 24 characters long.'],
    [
      '<script>',
      "A nickname starts with a letter or digit and holds only letters, digits, spaces, _ . ' -",
    ],
    [
      'Ada\u0000',
      "A nickname starts with a letter or digit and holds only letters, digits, spaces, _ . ' -",
    ],
  ])('refuses the nickname %j and lets the client try again', async (nickname, message) => {
    const app = chatRouter(history)
    const communicator = await connectTo(app, 'lobby')
    await communicator.sendJsonTo({ type: 'join', nickname })
    expect(await communicator.receiveJsonFrom()).toEqual({
      type: 'error',
      code: 'invalid_message',
      message,
      issues: [{ path: 'nickname', message }],
    })
    await communicator.sendJsonTo({ type: 'join', nickname: 'Zoë' })
    expect(await communicator.receiveJsonFrom()).toMatchObject({
      type: 'welcome',
      you: { nickname: 'Zoë' },
    })
  })

  it('answers text that is not JSON, and binary frames, without closing', async () => {
    const app = chatRouter(history)
    const ada = await join(app, 'lobby', 'Ada')
    await ada.communicator.sendTo({ textData: '{"type": "message",' })
    expect(await ada.next()).toEqual({
      type: 'error',
      code: 'invalid_json',
      message: 'That frame was not valid JSON.',
      issues: [],
    })
    await ada.communicator.sendTo({ bytesData: new Uint8Array([1, 2, 3]) })
    expect(await ada.next()).toEqual({
      type: 'error',
      code: 'binary_frame',
      message: 'Send JSON text frames; binary frames are not understood.',
      issues: [],
    })
    await ada.say('fine')
    expect(await ada.nextOf('message')).toMatchObject({ message: 'fine' })
  })

  it('refuses a message before the join, and a second join', async () => {
    const app = chatRouter(history)
    const communicator = await connectTo(app, 'lobby')
    await communicator.sendJsonTo({ type: 'message', message: 'hello?' })
    expect(await communicator.receiveJsonFrom()).toEqual({
      type: 'error',
      code: 'not_joined',
      message: 'Join the room with a nickname before sending messages.',
      issues: [],
    })
    const ada = await join(app, 'lobby', 'Ada')
    await ada.communicator.sendJsonTo({ type: 'join', nickname: 'Eve' })
    expect(await ada.next()).toEqual({
      type: 'error',
      code: 'already_joined',
      message: 'You are already in this room as Ada.',
      issues: [],
    })
  })
})

describe('ChatConsumer: room names', () => {
  it.each([['a.b'], ['<script>alert(1)<'], ['a b'], ['x'.repeat(41)], ['%00'], ['emoji🙂']])(
    'refuses the room %j before accepting (HTTP 403 to a browser)',
    async (room) => {
      const app = chatRouter(history)
      const communicator = new WebsocketCommunicator(app, `/ws/chat/${room}/`)
      expect(await communicator.connect()).toEqual([false, INVALID_ROOM_CLOSE_CODE])
      await communicator.disconnect()
    },
  )

  it('refuses the room ".." (one segment, but not a room name)', async () => {
    const communicator = new WebsocketCommunicator(chatRouter(history), '/ws/chat/../')
    expect(await communicator.connect()).toEqual([false, INVALID_ROOM_CLOSE_CODE])
    await communicator.disconnect()
  })

  it.each([['a/b'], [''], ['x'.repeat(201)]])('finds no route for the room %j', async (room) => {
    const app = chatRouter(history)
    const communicator = new WebsocketCommunicator(app, `/ws/chat/${room}/`)
    await expect(communicator.connect()).rejects.toThrow(RouteNotFound)
  })

  it('takes rooms in any script, each in its own valid group', async () => {
    const app = chatRouter(history)
    const cafe = await join(app, encodeURIComponent('café'), 'Ada')
    const plain = await join(app, 'cafe', 'Bob')
    const tokyo = await join(app, encodeURIComponent('東京'), 'Cy')
    await cafe.say('bonjour')
    expect(await cafe.nextOf('message')).toMatchObject({ message: 'bonjour' })
    await plain.communicator.receiveNothing({ timeoutMs: 50 })
    await tokyo.communicator.receiveNothing({ timeoutMs: 50 })
    expect(await history.recent(roomGroupName('café'))).toHaveLength(1)
    expect(roomGroupName('café')).toMatch(/^chat_u\.[A-Za-z0-9_-]{43}$/)
  })
})

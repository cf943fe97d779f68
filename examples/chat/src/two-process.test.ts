// Two chat server processes on one Redis (127.0.0.1:6379, a unique prefix): a message typed on
// one reaches the room's members on the other, and the member list spans both. Skipped only
// when Redis is unreachable and CI is not set.
import {
  deleteKeys,
  inspector,
  REDIS_URL,
  redisNeeded,
  uniquePrefix,
} from '@node-channels/test-support/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChatSocket, MAIN_JS, requireBuild, startProcess } from './process.test-util.js'
import type { Member, ServerMessage } from './protocol.js'

const available = await redisNeeded()

const PRESENCE_INTERVAL_MS = 300

type Of<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>
const is =
  <T extends ServerMessage['type']>(type: T) =>
  (message: ServerMessage): message is Of<T> =>
    message.type === type

/** Opens a socket on `url` and joins `room` as `nickname`; returns it and who it is. */
async function joinOn(url: string, room: string, nickname: string) {
  const socket = await ChatSocket.open(url, room)
  socket.send({ type: 'join', nickname })
  const welcome = await socket.until(is('welcome'))
  const history = await socket.until(is('history'))
  return { socket, me: welcome.you as Member, history: history.messages }
}

describe.skipIf(!available)('the chat in two processes on one Redis', { timeout: 60_000 }, () => {
  const prefix = uniquePrefix('chat')
  const env = {
    CHANNEL_LAYER_URL: `${REDIS_URL}?prefix=${encodeURIComponent(prefix)}`,
    CHAT_PRESENCE_INTERVAL_MS: String(PRESENCE_INTERVAL_MS),
  }

  beforeAll(() => requireBuild())
  afterAll(async () => {
    const redis = inspector()
    await deleteKeys(redis, prefix)
    redis.disconnect()
  })

  it('delivers messages, members and history across processes, and drops a crashed one', async () => {
    const [one, two] = await Promise.all([
      startProcess([MAIN_JS, '--port', '0'], env),
      startProcess([MAIN_JS, '--port', '0'], env),
    ])
    expect(one.url).not.toBe(two.url)
    expect(one.output()).toContain('on the Redis channel layer')

    const ada = await joinOn(one.url, 'lobby', 'Ada')
    const bob = await joinOn(two.url, 'lobby', 'Bob')
    // The member list spans both processes, on both sides.
    expect(await ada.socket.until(is('joined'))).toEqual({ type: 'joined', member: bob.me })
    await ada.socket.membersBecome(['Ada', 'Bob'])
    await bob.socket.membersBecome(['Ada', 'Bob'])

    // A message typed on one process reaches the member on the other, and its sender.
    ada.socket.send({ type: 'message', message: 'Hello from process one' })
    for (const client of [bob, ada]) {
      expect(await client.socket.until(is('message'))).toMatchObject({
        message: 'Hello from process one',
        nickname: 'Ada',
        authorId: ada.me.id,
      })
    }
    bob.socket.send({ type: 'message', message: 'And back from process two' })
    expect(await ada.socket.until(is('message'))).toMatchObject({
      message: 'And back from process two',
      nickname: 'Bob',
    })

    // Another room on the same Redis hears nothing of it.
    const other = await joinOn(two.url, 'kitchen', 'Cy')
    expect(other.history).toEqual([])

    // The history is shared: a newcomer on process two sees what was said on both.
    const dee = await joinOn(two.url, 'lobby', 'Dee')
    expect(dee.history.map((entry) => entry.message)).toEqual([
      'Hello from process one',
      'And back from process two',
    ])
    await dee.socket.membersBecome(['Ada', 'Bob', 'Dee'])

    // Process one dies without a goodbye: Ada drops out of the lists on process two.
    one.child.kill('SIGKILL')
    await one.exited
    for (const client of [bob, dee]) {
      const left = await client.socket.until(
        (message) => message.type === 'left' && message.member.id === ada.me.id,
        10 * PRESENCE_INTERVAL_MS + 5000,
      )
      expect(left).toEqual({ type: 'left', member: ada.me, reason: 'timeout' })
      await client.socket.membersBecome(['Bob', 'Dee'])
    }

    // A clean stop: process two closes its sockets with 1001 and exits 0.
    two.child.kill('SIGTERM')
    expect(await two.exited).toBe(0)
    expect(two.output()).toContain('Chat stopped.')
    expect(bob.socket.closeCode).toBe(1001)
  })
})

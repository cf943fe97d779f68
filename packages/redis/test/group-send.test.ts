import { type Message, MessageTooLarge } from '@node-channels/core'
import { describe, expect, it, onTestFinished } from 'vitest'
import { encodeMessage } from '../src/msgpack-codec.js'
import type { RedisChannelLayerOptions } from '../src/options.js'
import { RedisChannelLayer } from '../src/redis-channel-layer.js'
import { PrivateRedis } from './private-redis.js'
import {
  fileInspector,
  inspector,
  layerForTest,
  monitorCommands,
  recordingLogger,
  redisAvailable,
} from './redis-helpers.js'

const redis = fileInspector()

/** A layer on the shared Redis under a fresh prefix, closed and cleaned up after the test. */
const makeLayer = (options: RedisChannelLayerOptions = {}): RedisChannelLayer =>
  layerForTest(redis, RedisChannelLayer, 'group-send', options)

/** Adds `members` (written straight into Redis) to `group`, and one long-expired member. */
async function fillGroup(
  layer: RedisChannelLayer,
  group: string,
  members: Array<string | Buffer>,
): Promise<void> {
  const key = `${layer.prefix}:group:${group}`
  const now = Date.now() / 1000
  // Increasing scores keep the members in this order.
  await redis.zadd(key, ...members.flatMap((member, index) => [now + index / 1000, member]))
  await redis.zadd(key, 1, 'specific.old!gone')
}

/** 40 members in two process queues: enough for sends that skip the group read. */
const LARGE_AAA = Array.from({ length: 20 }, (_, index) => `specific.aaa!r${index}`)
const LARGE_BBB = Array.from({ length: 20 }, (_, index) => `specific.bbb!r${index}`)
const LARGE_GROUP = LARGE_AAA.flatMap((member, index) => [member, LARGE_BBB[index] as string])

/** True when the commands are one script run: EVALSHA, and EVAL if the server lacked the script. */
const scriptRunsOnly = (commands: string[][]): boolean => {
  const names = commands.map(([name]) => name).join(' ')
  return names === 'evalsha' || names === 'evalsha eval'
}

/** Every stored message under the layer's prefix by queue name, without its random prefix. */
async function storedMessages(layer: RedisChannelLayer): Promise<Map<string, string[]>> {
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${layer.prefix}*`, 'COUNT', 1000)
    keys.push(...found.filter((key) => !key.includes(':group')))
    cursor = next
  } while (cursor !== '0')
  const stored = new Map<string, string[]>()
  for (const key of keys.sort()) {
    const members = await redis.zrangeBuffer(key, 0, '-1')
    stored.set(
      key.slice(layer.prefix.length),
      members.map((member) => member.subarray(12).toString('hex')),
    )
  }
  return stored
}

/** The bytes channels_redis stores for `message` sent to `channels` (the key added last). */
const asStored = (message: object, channels: string[]) =>
  Buffer.from(encodeMessage({ ...message, __asgi_channel__: channels })).toString('hex')

describe.skipIf(!redisAvailable)('RedisChannelLayer.groupSend on Redis', () => {
  it('writes one message per queue exactly as channels_redis does, for names of every size', async () => {
    const layer = makeLayer()
    const aaa = Array.from({ length: 20 }, (_, index) => `specific.aaa!r${index}`)
    const bbb = [`specific.bbb!${'x'.repeat(40)}`, `specific.bbb!${'y'.repeat(300)}`]
    await fillGroup(layer, 'room', [...aaa.slice(0, 10), ...bbb, 'named.channel', ...aaa.slice(10)])
    const message = { type: 'chat.message', text: 'hello', n: 3 }
    await layer.groupSend('room', message)
    expect(await storedMessages(layer)).toEqual(
      new Map([
        ['named.channel', [asStored(message, ['named.channel'])]],
        ['specific.aaa!', [asStored(message, aaa)]],
        ['specific.bbb!', [asStored(message, bbb)]],
      ]),
    )
    expect(await redis.ttl(`${layer.prefix}specific.aaa!`)).toBe(60)
    expect(await redis.zcard(`${layer.prefix}:group:room`)).toBe(23)
  })

  it('writes names that are not ASCII as UTF-8, and bytes that are not UTF-8 as U+FFFD', async () => {
    const layer = makeLayer()
    const broken = Buffer.concat([Buffer.from('specific.ccc!'), Buffer.of(0xff)])
    await fillGroup(layer, 'room', ['specific.ccc!é', broken])
    await layer.groupSend('room', { type: 'chat.message' })
    expect(await storedMessages(layer)).toEqual(
      new Map([
        [
          'specific.ccc!',
          [asStored({ type: 'chat.message' }, ['specific.ccc!é', 'specific.ccc!\uFFFD'])],
        ],
      ]),
    )
  })

  it('refuses a message over maxMessageBytes with its channel list, writing nothing', async () => {
    const layer = makeLayer({ maxMessageBytes: 100 })
    await fillGroup(layer, 'room', ['specific.aaa!1', `specific.aaa!${'z'.repeat(80)}`])
    const size = encodeMessage({
      type: 'chat.message',
      __asgi_channel__: ['specific.aaa!1', `specific.aaa!${'z'.repeat(80)}`],
    }).byteLength
    await expect(layer.groupSend('room', { type: 'chat.message' })).rejects.toThrow(
      new MessageTooLarge(
        `The message for "room" is ${size} bytes encoded, over the limit of 100 bytes (maxMessageBytes).`,
      ),
    )
    expect(await storedMessages(layer)).toEqual(new Map())
  })

  it("skips full queues, counting each queue's members' capacities", async () => {
    const logger = recordingLogger()
    const layer = makeLayer({ capacity: 1, channelCapacity: { 'specific.bbb!*': 2 }, logger })
    await fillGroup(layer, 'room', ['specific.aaa!1', 'specific.aaa!2', 'specific.bbb!1'])
    for (let index = 0; index < 3; index++) await layer.groupSend('room', { type: 'chat.message' })
    const stored = await storedMessages(layer)
    expect(stored.get('specific.aaa!')).toHaveLength(2)
    expect(stored.get('specific.bbb!')).toHaveLength(2)
    expect(logger.lines).toEqual(['info: 2 of 3 channels over capacity in group room'])
  })

  it('sends to a large group again in one round trip while its members stay the same', async () => {
    const layer = makeLayer()
    const key = `${layer.prefix}:group:room`
    await fillGroup(layer, 'room', LARGE_GROUP)
    const messages = [1, 2, 3, 4].map((n) => ({ type: 'chat.message', n }))
    // The first send reads the group, the second also takes a snapshot of it.
    for (const message of messages.slice(0, 2)) await layer.groupSend('room', message)
    const snapshots = await redis.keys(`${layer.prefix}:groupplan:*`)
    expect(snapshots).toHaveLength(1)
    expect(await redis.zcard(snapshots[0] as string)).toBe(LARGE_GROUP.length)
    let monitor = await monitorCommands(redis, layer.prefix)
    await layer.groupSend('room', messages[2] as Message)
    // One script, no group read (EVAL after EVALSHA when the server had not seen the script).
    expect(scriptRunsOnly(await monitor.commands())).toBe(true)
    expect(await redis.ttl(snapshots[0] as string)).toBeGreaterThan(55)
    // A refreshed membership (a later score, as groupAdd gives) keeps the same members.
    await redis.zadd(key, Date.now() / 1000, LARGE_GROUP[0] as string)
    monitor = await monitorCommands(redis, layer.prefix)
    await layer.groupSend('room', messages[3] as Message)
    expect((await monitor.commands()).map(([name]) => name)).toEqual(['evalsha'])
    expect(await storedMessages(layer)).toEqual(
      new Map([
        ['specific.aaa!', messages.map((message) => asStored(message, LARGE_AAA))],
        ['specific.bbb!', messages.map((message) => asStored(message, LARGE_BBB))],
      ]),
    )
  })

  it('reads a large group again once a member joined, left or expired since its snapshot', async () => {
    const layer = makeLayer({ groupExpiryMs: 60_000 })
    const key = `${layer.prefix}:group:room`
    await fillGroup(layer, 'room', LARGE_GROUP)
    const messages = [1, 2, 3, 4].map((n) => ({ type: 'chat.message', n }))
    for (const message of messages.slice(0, 2)) await layer.groupSend('room', message)
    // As other processes' group_add and group_discard would, between two sends.
    await redis.zadd(key, Date.now() / 1000, 'specific.ccc!1')
    await redis.zrem(key, LARGE_AAA[0] as string)
    const monitor = await monitorCommands(redis, layer.prefix)
    await layer.groupSend('room', messages[2] as Message)
    const names = (await monitor.commands()).map(([name]) => name)
    // The check stored nothing; the group was read (with a new snapshot), then stored.
    expect(names.slice(0, 2)).toEqual(['evalsha', 'del'])
    expect(names).toContain('zrangestore')
    expect(names.at(-1)).toBe('evalsha')
    // A membership older than groupExpiryMs is trimmed by the check, which then fails.
    await redis.zadd(key, Date.now() / 1000 - 61, LARGE_BBB[0] as string)
    await layer.groupSend('room', messages[3] as Message)
    expect(await redis.zscore(key, LARGE_BBB[0] as string)).toBeNull()
    expect(await redis.keys(`${layer.prefix}:groupplan:*`)).toHaveLength(1)
    const aaa = LARGE_AAA.slice(1)
    expect(await storedMessages(layer)).toEqual(
      new Map([
        [
          'specific.aaa!',
          [
            ...messages.slice(0, 2).map((message) => asStored(message, LARGE_AAA)),
            ...messages.slice(2).map((message) => asStored(message, aaa)),
          ],
        ],
        [
          'specific.bbb!',
          [
            ...messages.slice(0, 3).map((message) => asStored(message, LARGE_BBB)),
            asStored(messages[3] as Message, LARGE_BBB.slice(1)),
          ],
        ],
        [
          'specific.ccc!',
          messages.slice(2).map((message) => asStored(message, ['specific.ccc!1'])),
        ],
      ]),
    )
  })

  it('reads a small group at every send and keeps no snapshot of it', async () => {
    const layer = makeLayer()
    await fillGroup(layer, 'room', LARGE_GROUP.slice(0, 31))
    for (let n = 0; n < 2; n++) await layer.groupSend('room', { type: 'chat.message', n })
    const monitor = await monitorCommands(redis, layer.prefix)
    await layer.groupSend('room', { type: 'chat.message', n: 2 })
    expect((await monitor.commands()).map(([name]) => name)).toContain('zrange')
    expect(await redis.keys(`${layer.prefix}:groupplan:*`)).toEqual([])
  })

  it('reads every group on a Redis without ZINTERCARD, saying so once', async () => {
    const server = await PrivateRedis.start(['--rename-command', 'ZINTERCARD', '""'])
    onTestFinished(() => server.dispose())
    const client = inspector(server.url)
    onTestFinished(() => client.disconnect())
    const logger = recordingLogger()
    const layer = new RedisChannelLayer({ hosts: [server.url], logger })
    onTestFinished(() => layer.close())
    const now = Date.now() / 1000
    await client.zadd(
      `${layer.prefix}:group:room`,
      ...LARGE_GROUP.flatMap((member, index) => [now + index / 1000, member]),
    )
    for (let n = 0; n < 4; n++) await layer.groupSend('room', { type: 'chat.message', n })
    expect(await client.zcard(`${layer.prefix}specific.aaa!`)).toBe(4)
    expect(await client.zcard(`${layer.prefix}specific.bbb!`)).toBe(4)
    expect(logger.lines).toEqual([
      expect.stringMatching(
        /^info: Group sends read the group every time: Redis refused a command they need \(ERR Unknown Redis command called from script/,
      ),
    ])
  })

  it('writes nothing for an empty group', async () => {
    const layer = makeLayer()
    await layer.groupSend('nobody', { type: 'chat.message' })
    expect(await storedMessages(layer)).toEqual(new Map())
  })
})

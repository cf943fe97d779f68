import { MessageTooLarge } from '@node-channels/core'
import { describe, expect, it } from 'vitest'
import { encodeMessage } from '../src/msgpack-codec.js'
import type { RedisChannelLayerOptions } from '../src/options.js'
import { RedisChannelLayer } from '../src/redis-channel-layer.js'
import { fileInspector, layerForTest, recordingLogger, redisAvailable } from './redis-helpers.js'

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

/** Every stored message under the layer's prefix by queue name, without its random prefix. */
async function storedMessages(layer: RedisChannelLayer): Promise<Map<string, string[]>> {
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${layer.prefix}*`, 'COUNT', 1000)
    keys.push(...found.filter((key) => !key.includes(':group:')))
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

  it('writes nothing for an empty group', async () => {
    const layer = makeLayer()
    await layer.groupSend('nobody', { type: 'chat.message' })
    expect(await storedMessages(layer)).toEqual(new Map())
  })
})

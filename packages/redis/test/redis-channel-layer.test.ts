import { ChannelFull, InvalidChannelLayerError, MessageTooLarge } from '@node-channels/core'
import { describe, expect, it, onTestFinished } from 'vitest'
import { MultiFernet } from '../src/fernet.js'
import { encodeMessage } from '../src/msgpack-codec.js'
import type { RedisChannelLayerOptions } from '../src/options.js'
import { RedisChannelLayer } from '../src/redis-channel-layer.js'
import { consistentHash } from '../src/sharding.js'
import {
  deleteKeys,
  fileInspector,
  inspector,
  layerForTest,
  monitorCommands,
  REDIS_URL,
  recordingLogger,
  redisAvailable,
  uniquePrefix,
} from './redis-helpers.js'

const redis = fileInspector()

/** A layer on the shared Redis under a fresh prefix (unless given one), closed and cleaned up after the test. */
const makeLayer = (options: RedisChannelLayerOptions = {}): RedisChannelLayer =>
  layerForTest(redis, RedisChannelLayer, 'core', options)

const timeout = (ms = 300) => ({ signal: AbortSignal.timeout(ms) })

describe.skipIf(!redisAvailable)('RedisChannelLayer on Redis', () => {
  it('stores a named-channel message as channels_redis does and receives it', async () => {
    const layer = makeLayer()
    await layer.send('test-channel-1', { type: 'test.message', text: 'Ahoy-hoy!' })
    const key = `${layer.prefix}test-channel-1`
    expect(await redis.type(key)).toBe('zset')
    expect(await redis.ttl(key)).toBe(60)
    const [member, score] = await redis.zrangeBuffer(key, 0, '-1', 'WITHSCORES')
    expect(member?.subarray(12).toString('hex')).toBe(
      Buffer.from(encodeMessage({ type: 'test.message', text: 'Ahoy-hoy!' })).toString('hex'),
    )
    expect(Math.abs(Number(score?.toString()) - Date.now() / 1000)).toBeLessThan(5)
    expect(await layer.receive('test-channel-1')).toEqual({
      type: 'test.message',
      text: 'Ahoy-hoy!',
    })
    expect(await redis.exists(key, `${key}$inflight`)).toBe(0)
  })

  it('puts process-local messages in the process queue with their channel name last', async () => {
    const layer = makeLayer()
    const channel = await layer.newChannel()
    expect(layer.clientPrefix).toMatch(/^[a-zA-Z]{12}$/)
    expect(channel).toMatch(new RegExp(`^specific\\.${layer.clientPrefix}![a-zA-Z]{12}$`))
    await layer.send(channel, { type: 'test.message', text: 'hi' })
    const [member] = await redis.zrangeBuffer(
      `${layer.prefix}specific.${layer.clientPrefix}!`,
      0,
      '-1',
    )
    expect(member?.subarray(12).toString('hex')).toBe(
      Buffer.from(
        encodeMessage({ type: 'test.message', text: 'hi', __asgi_channel__: channel }),
      ).toString('hex'),
    )
    expect(await layer.receive(channel)).toEqual({ type: 'test.message', text: 'hi' })
  })

  it('delivers in FIFO order, also for a burst of sends within one millisecond', async () => {
    const layer = makeLayer()
    const channel = await layer.newChannel()
    for (let index = 0; index < 50; index++)
      await layer.send(channel, { type: 'test.message', n: index })
    const received = []
    for (let index = 0; index < 50; index++) received.push((await layer.receive(channel)).n)
    expect(received).toEqual([...Array(50).keys()])
  })

  // channels_redis tests/test_core.py::test_send_capacity and test_send_specific_capacity
  it('throws ChannelFull over capacity and per-channel capacity', async () => {
    const layer = makeLayer({ capacity: 3, channelCapacity: { one: 1 } })
    for (let index = 0; index < 3; index++)
      await layer.send('test-channel', { type: 'test.message' })
    await expect(layer.send('test-channel', { type: 'test.message' })).rejects.toThrow(
      new ChannelFull('test-channel'),
    )
    await layer.send('one', { type: 'test.message' })
    await expect(layer.send('one', { type: 'test.message' })).rejects.toThrow(
      new ChannelFull('one'),
    )
  })

  // channels_redis tests/test_core.py::test_groups_basic
  it('sends to group members only, with the group stored as a sorted set', async () => {
    const layer = makeLayer()
    const [first, second, third] = await Promise.all([
      layer.newChannel(),
      layer.newChannel(),
      layer.newChannel(),
    ])
    for (const channel of [first, second, third])
      await layer.groupAdd('test-group', channel as string)
    await layer.groupDiscard('test-group', second as string)
    expect(await redis.zrange(`${layer.prefix}:group:test-group`, 0, '-1')).toEqual(
      expect.arrayContaining([first, third]),
    )
    expect(await redis.ttl(`${layer.prefix}:group:test-group`)).toBe(86_400)
    await layer.groupSend('test-group', { type: 'message.1' })
    expect(await layer.receive(first as string)).toEqual({ type: 'message.1' })
    expect(await layer.receive(third as string)).toEqual({ type: 'message.1' })
    await expect(layer.receive(second as string, timeout())).rejects.toThrow(
      'The operation was aborted due to timeout',
    )
  })

  // channels_redis tests/test_core.py::test_groups_same_prefix
  it('writes one entry per process queue listing all its channels', async () => {
    const layer = makeLayer()
    const channels = await Promise.all([layer.newChannel(), layer.newChannel(), layer.newChannel()])
    for (const channel of channels) await layer.groupAdd('test-group', channel)
    await layer.groupSend('test-group', { type: 'message.1' })
    const members = await redis.zrangeBuffer(
      `${layer.prefix}specific.${layer.clientPrefix}!`,
      0,
      '-1',
    )
    expect(members).toHaveLength(1)
    for (const channel of channels)
      expect(await layer.receive(channel)).toEqual({ type: 'message.1' })
  })

  // channels_redis tests/test_core.py::test_group_send_capacity and test_groups_channel_full
  it('skips full queues in groupSend without throwing, and logs it as channels_redis does', async () => {
    const logger = recordingLogger()
    const layer = makeLayer({ capacity: 3, logger })
    const channel = await layer.newChannel()
    await layer.groupAdd('test-group', channel)
    for (let index = 0; index < 5; index++)
      await layer.groupSend('test-group', { type: 'message', n: index })
    for (let index = 0; index < 3; index++) expect((await layer.receive(channel)).n).toBe(index)
    await expect(layer.receive(channel, timeout())).rejects.toThrow(
      'The operation was aborted due to timeout',
    )
    expect(logger.lines).toEqual([
      'info: 1 of 1 channels over capacity in group test-group',
      'info: 1 of 1 channels over capacity in group test-group',
    ])
  })

  it("pops with channels_redis' $inflight protocol, and gives $inflight an expiry", async () => {
    const layer = makeLayer()
    const monitor = await monitorCommands(redis, layer.prefix)
    await layer.send('tasks', { type: 'task.run' })
    expect(await layer.receive('tasks')).toEqual({ type: 'task.run' })
    const commands = await monitor.commands()
    const key = `${layer.prefix}tasks`
    const names = commands.map(([name, ...args]) => [
      name,
      ...args.filter((arg) => arg.startsWith(layer.prefix)),
    ])
    const popIndex = names.findIndex(([name]) => name === 'bzpopmin')
    expect(names.slice(popIndex - 1, popIndex + 4)).toEqual([
      [expect.stringMatching(/^eval(sha)?$/), key, `${key}$inflight`],
      ['bzpopmin', key],
      ['zadd', `${key}$inflight`],
      ['expire', `${key}$inflight`],
      ['zpopmin', `${key}$inflight`],
    ])
    const expire = commands.find(([name, arg]) => name === 'expire' && arg === `${key}$inflight`)
    expect(expire?.[2]).toBe('60')
  })

  it('recovers a message a crashed receiver left in $inflight', async () => {
    const layer = makeLayer()
    const writer = makeLayer({ prefix: layer.prefix })
    await writer.send('tasks', { type: 'task.run', n: 1 })
    const key = `${layer.prefix}tasks`
    // What a process that died between BZPOPMIN and ZPOPMIN leaves behind.
    const [member, score] = await redis.zpopminBuffer(key)
    await redis.zadd(`${key}$inflight`, String(score), member as Buffer)
    expect(await layer.receive('tasks')).toEqual({ type: 'task.run', n: 1 })
    expect(await redis.exists(`${key}$inflight`)).toBe(0)
  })

  it('gives a named-channel message back to the queue when its receiver left during the pop', async () => {
    const layer = makeLayer()
    const other = makeLayer({ prefix: layer.prefix })
    const gone = new AbortController()
    const abandoned = layer.receive('work', { signal: gone.signal })
    gone.abort(new Error('left'))
    await expect(abandoned).rejects.toThrow('left')
    // layer's loop is still blocked in BZPOPMIN on "work": it must not keep what it pops.
    await other.send('work', { type: 'task.run' })
    expect(await other.receive('work', timeout(7000))).toEqual({ type: 'task.run' })
  })

  it('logs and skips foreign or undecodable entries; receivers get only the good messages', async () => {
    const logger = recordingLogger()
    const layer = makeLayer({ logger })
    const channel = await layer.newChannel()
    const key = `${layer.prefix}specific.${layer.clientPrefix}!`
    const now = Date.now() / 1000 - 10
    const prefix12 = Buffer.alloc(12, 7)
    const foreign = new MultiFernet(['another key']).encrypt(
      encodeMessage({ type: 'x', __asgi_channel__: channel }),
    )
    await redis.zadd(
      key,
      now,
      Buffer.concat([prefix12, Buffer.from([0xc1])]),
      now + 0.001,
      Buffer.concat([prefix12, Buffer.from(encodeMessage([1, 2]))]),
      now + 0.002,
      Buffer.concat([prefix12, Buffer.from(encodeMessage({ type: 'no.channel' }))]),
      now + 0.003,
      Buffer.concat([prefix12, Buffer.from(encodeMessage({ type: 5, __asgi_channel__: channel }))]),
      now + 0.004,
      Buffer.concat([prefix12, foreign]),
    )
    await layer.send(channel, { type: 'good.message' })
    expect(await layer.receive(channel)).toEqual({ type: 'good.message' })
    const quoted = JSON.stringify(key)
    expect(logger.lines).toEqual([
      `warn: Skipped an undecodable message in Redis key ${quoted}: Unrecognized type byte: 0xc1`,
      `warn: Skipped a message in Redis key ${quoted} that is not a channel layer message: ✖ Invalid input: expected object, received array`,
      `warn: Skipped a message in Redis key ${quoted} that names no channel.`,
      `warn: Skipped a message in Redis key ${quoted} that is not a channel layer message: ✖ Invalid input: expected string, received number\n  → at type`,
      `warn: Skipped an undecodable message in Redis key ${quoted}: Extra ${foreign.length - 1} of ${foreign.length} byte(s) found at buffer[1]`,
    ])
  })

  it('encrypts stored messages with symmetricEncryptionKeys and refuses tokens under other keys', async () => {
    const logger = recordingLogger()
    const layer = makeLayer({ symmetricEncryptionKeys: ['secret'], logger })
    await layer.send('secure', { type: 'test.message', text: 'classified' })
    const [member] = await redis.zrangeBuffer(`${layer.prefix}secure`, 0, '-1')
    expect(member?.subarray(12, 17).toString()).toBe('gAAAA')
    expect(member?.includes('classified')).toBe(false)
    expect(await layer.receive('secure')).toEqual({ type: 'test.message', text: 'classified' })
    const stranger = makeLayer({ prefix: layer.prefix, symmetricEncryptionKeys: ['wrong'], logger })
    await layer.send('secure', { type: 'test.message' })
    await expect(stranger.receive('secure', timeout(500))).rejects.toThrow(
      'The operation was aborted due to timeout',
    )
    expect(logger.lines).toEqual([
      `warn: Skipped an undecodable message in Redis key ${JSON.stringify(`${layer.prefix}secure`)}: The Fernet token was not signed with any of the keys.`,
    ])
  })

  it('drops messages older than expiryMs instead of delivering them', async () => {
    const layer = makeLayer({ expiryMs: 1000 })
    const channel = await layer.newChannel()
    await layer.send(channel, { type: 'old' })
    await new Promise((resolve) => setTimeout(resolve, 1100))
    await layer.send(channel, { type: 'new' })
    expect(await layer.receive(channel)).toEqual({ type: 'new' })
    await expect(layer.receive(channel, timeout())).rejects.toThrow(
      'The operation was aborted due to timeout',
    )
  })

  it('refuses bad names, foreign process-local channels and oversized messages', async () => {
    const layer = makeLayer({ maxMessageBytes: 100 })
    await expect(layer.send('=+135!', { type: 'x' })).rejects.toThrow(
      new TypeError(
        'Channel name must be a valid unicode string with length < 100 containing only ASCII alphanumerics, hyphens, underscores, or periods, not "=+135!".',
      ),
    )
    await expect(layer.groupAdd('a!b', 'chan')).rejects.toThrow(TypeError)
    await expect(layer.receive('not-client-prefix!local_part')).rejects.toThrow(
      new TypeError(
        `Channel "not-client-prefix!local_part" belongs to another process: only channels from this layer's newChannel() can be received from here.`,
      ),
    )
    await expect(layer.send('big', { type: 'x', text: 'y'.repeat(100) })).rejects.toThrow(
      new MessageTooLarge(
        'The message for "big" is 115 bytes encoded, over the limit of 100 bytes (maxMessageBytes).',
      ),
    )
    await expect(
      layer.groupSend('group', { type: 'x', when: new Date() } as never),
    ).rejects.toThrow(TypeError)
  })

  it('flush deletes every key under its prefix; close rejects waiting receivers', async () => {
    const layer = makeLayer()
    const channel = await layer.newChannel()
    await layer.groupAdd('g', channel)
    await layer.send('named', { type: 'x' })
    await layer.flush()
    expect(await redis.keys(`${layer.prefix}*`)).toEqual([])
    const waiting = layer.receive(channel)
    await layer.close()
    await expect(waiting).rejects.toThrow(
      new InvalidChannelLayerError('The channel layer was closed.'),
    )
    await expect(layer.send('named', { type: 'x' })).rejects.toThrow(
      new InvalidChannelLayerError('The channel layer was closed.'),
    )
  })
})

describe.skipIf(!redisAvailable)('RedisChannelLayer sharded over several hosts', () => {
  // channels_redis' multi-host fixture uses databases of one server as shards; so do we.
  const hosts = [1, 2, 3].map((db) => `${REDIS_URL.replace(/\/\d*$/, '')}/${db}`)

  function shardedLayer(prefix: string): RedisChannelLayer {
    const layer = new RedisChannelLayer({ hosts, prefix })
    onTestFinished(async () => {
      await layer.close()
      for (const host of hosts) {
        const client = inspector(host)
        await deleteKeys(client, prefix)
        client.disconnect()
      }
    })
    return layer
  }

  it('stores groups and process queues on the shard channels_redis picks, and delivers across shards', async () => {
    const prefix = uniquePrefix('shards')
    const first = shardedLayer(prefix)
    const second = shardedLayer(prefix)
    const members = [
      ...(await Promise.all([1, 2, 3].map(() => first.newChannel()))),
      ...(await Promise.all([1, 2, 3].map(() => second.newChannel()))),
    ]
    for (const channel of members) await first.groupAdd('spread', channel)
    // The second send reuses the first one's plan of the queues, by shard.
    for (const type of ['message.1', 'message.2']) {
      await second.groupSend('spread', { type })
      for (const channel of members) {
        const owner = channel.includes(first.clientPrefix) ? first : second
        expect(await owner.receive(channel, timeout(5000))).toEqual({ type })
      }
    }
    const where = async (key: string) => {
      const found: number[] = []
      for (const [index, host] of hosts.entries()) {
        const client = inspector(host)
        if ((await client.exists(key)) === 1) found.push(index)
        client.disconnect()
      }
      return found
    }
    expect(await where(`${prefix}:group:spread`)).toEqual([consistentHash('spread', 3)])
    // An unread message shows where a process queue lives: the shard of its non-local name.
    const idle = shardedLayer(prefix)
    await second.send(await idle.newChannel(), { type: 'unread' })
    const queue = `specific.${idle.clientPrefix}!`
    expect(await where(prefix + queue)).toEqual([consistentHash(queue, 3)])
  })

  it('sends to a large group across shards, and skips the group read only where its queues are on its shard', async () => {
    const prefix = uniquePrefix('shards')
    const layers = [shardedLayer(prefix), shardedLayer(prefix)]
    const members = []
    for (const layer of layers) {
      for (let index = 0; index < 20; index++) members.push(await layer.newChannel())
    }
    for (const channel of members) await layers[0]?.groupAdd('large', channel)
    const groupShard = consistentHash('large', 3)
    const together = layers.every(
      (layer) => consistentHash(`specific.${layer.clientPrefix}!`, 3) === groupShard,
    )
    for (const n of [1, 2, 3, 4]) {
      await layers[0]?.groupSend('large', { type: 'message.n', n })
      for (const channel of members) {
        const owner = layers.find((layer) => channel.includes(layer.clientPrefix))
        expect(await owner?.receive(channel, timeout(5000))).toEqual({ type: 'message.n', n })
      }
    }
    // A snapshot only where it can serve: the group's and both process queues' shard is one.
    const client = inspector(hosts[groupShard])
    onTestFinished(() => client.disconnect())
    expect(await client.keys(`${prefix}:groupplan:*`)).toHaveLength(together ? 1 : 0)
  })

  it('spreads named-channel sends over the shards and receives them from all of them', async () => {
    const layer = shardedLayer(uniquePrefix('shards'))
    for (let index = 0; index < 6; index++)
      await layer.send('spread-tasks', { type: 'task', index })
    const received = []
    for (let index = 0; index < 6; index++) {
      received.push((await layer.receive('spread-tasks', timeout(20_000))).index)
    }
    expect([...received].sort()).toEqual([0, 1, 2, 3, 4, 5])
  })
})

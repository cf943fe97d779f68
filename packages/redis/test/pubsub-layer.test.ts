import { InvalidChannelLayerError } from '@node-channels/core'
import { describe, expect, it, onTestFinished } from 'vitest'
import { encodeMessage } from '../src/msgpack-codec.js'
import type { RedisPubSubChannelLayerOptions } from '../src/options.js'
import { RedisPubSubChannelLayer } from '../src/pubsub-layer.js'
import {
  fileInspector,
  layerForTest,
  recordingLogger,
  redisAvailable,
  subscribed,
} from './redis-helpers.js'

const redis = fileInspector()

/** A layer on the shared Redis under a fresh prefix (unless given one), closed after the test. */
const makeLayer = (options: RedisPubSubChannelLayerOptions = {}): RedisPubSubChannelLayer =>
  layerForTest(redis, RedisPubSubChannelLayer, 'pubsub', options)

/** A raw subscriber that records every payload published on `channel`. */
async function spy(channel: string): Promise<Buffer[]> {
  const client = redis.duplicate()
  client.on('error', () => {})
  onTestFinished(() => client.disconnect())
  const payloads: Buffer[] = []
  client.on('messageBuffer', (_channel: Buffer, payload: Buffer) => payloads.push(payload))
  await client.subscribe(channel)
  return payloads
}

const timeout = (ms = 300) => ({ signal: AbortSignal.timeout(ms) })

describe.skipIf(!redisAvailable)('RedisPubSubChannelLayer on Redis', () => {
  it('publishes bare msgpack on the channel itself, as channels_redis.pubsub does', async () => {
    const layer = makeLayer()
    const channel = await layer.newChannel()
    expect(channel).toMatch(
      new RegExp(`^${layer.prefix.replaceAll('.', '\\.')}specific\\.[0-9a-f]{32}$`),
    )
    const seen = await spy(channel)
    await layer.send(channel, { type: 'chat.message', text: 'hi' })
    expect(await layer.receive(channel)).toEqual({ type: 'chat.message', text: 'hi' })
    expect(seen.map((payload) => payload.toString('hex'))).toEqual([
      '82a474797065ac636861742e6d657373616765a474657874a26869',
    ])
    expect(await redis.keys(`${layer.prefix}*`)).toEqual([])
  })

  // channels_redis tests/test_pubsub.py::test_multi_send_receive
  it('delivers in order', async () => {
    const layer = makeLayer()
    const channel = await layer.newChannel()
    for (let index = 1; index <= 3; index++) await layer.send(channel, { type: `message.${index}` })
    for (let index = 1; index <= 3; index++)
      expect(await layer.receive(channel)).toEqual({ type: `message.${index}` })
  })

  // channels_redis tests/test_pubsub.py::test_groups_basic and test_discard_before_add
  it('sends to the local members of a group through <prefix>__group__<group>', async () => {
    const layer = makeLayer()
    const [first, second, third] = await Promise.all([
      layer.newChannel(),
      layer.newChannel(),
      layer.newChannel(),
    ])
    await layer.groupDiscard('test-group', first as string)
    for (const channel of [first, second, third])
      await layer.groupAdd('test-group', channel as string)
    await layer.groupDiscard('test-group', second as string)
    const seen = await spy(`${layer.prefix}__group__test-group`)
    await layer.groupSend('test-group', { type: 'message.1' })
    expect(await layer.receive(first as string)).toEqual({ type: 'message.1' })
    expect(await layer.receive(third as string)).toEqual({ type: 'message.1' })
    await expect(layer.receive(second as string, timeout())).rejects.toThrow(
      'The operation was aborted due to timeout',
    )
    expect(seen).toHaveLength(1)
  })

  // channels_redis tests/test_pubsub.py::test_receive_on_non_owned_general_channel
  it('subscribes to a named channel on receive, reaching it from another layer', async () => {
    const sender = makeLayer()
    const receiver = makeLayer({ prefix: sender.prefix })
    const channel = `${sender.prefix}test-channel`
    const received = receiver.receive(channel)
    await subscribed(redis, channel)
    await sender.send(channel, { type: 'message.1' })
    expect(await received).toEqual({ type: 'message.1' })
  })

  it('logs and skips payloads that are not channel layer messages', async () => {
    const logger = recordingLogger()
    const layer = makeLayer({ logger })
    const channel = await layer.newChannel()
    await redis.publish(channel, Buffer.from([0xc1]))
    await redis.publish(channel, Buffer.from(encodeMessage('message.1')))
    await layer.send(channel, { type: 'good' })
    expect(await layer.receive(channel)).toEqual({ type: 'good' })
    expect(logger.lines.filter((line) => line.startsWith('warn:'))).toEqual([
      `warn: Skipped an undecodable message on pub/sub channel ${JSON.stringify(channel)}: Unrecognized type byte: 0xc1`,
      `warn: Skipped a message on pub/sub channel ${JSON.stringify(channel)} that is not a channel layer message: ✖ Invalid input: expected object, received string`,
    ])
  })

  it('wraps payloads in Fernet with symmetricEncryptionKeys, as channels_redis ≥ 4.2.1 does', async () => {
    const logger = recordingLogger()
    const layer = makeLayer({ symmetricEncryptionKeys: ['secret'] })
    const stranger = makeLayer({ prefix: layer.prefix, symmetricEncryptionKeys: ['other'], logger })
    const friend = makeLayer({ prefix: layer.prefix, symmetricEncryptionKeys: ['other'] })
    const channel = await layer.newChannel()
    const seen = await spy(channel)
    await layer.send(channel, { type: 'secret.message' })
    expect(await layer.receive(channel)).toEqual({ type: 'secret.message' })
    expect(seen[0]?.subarray(0, 5).toString()).toBe('gAAAA')
    const strangerChannel = await stranger.newChannel()
    await stranger.groupAdd('g', strangerChannel)
    await layer.groupSend('g', { type: 'unreadable' })
    await friend.groupSend('g', { type: 'readable' })
    expect(await stranger.receive(strangerChannel)).toEqual({ type: 'readable' })
    expect(logger.lines.filter((line) => line.startsWith('warn:'))).toEqual([
      `warn: Skipped an undecodable message on pub/sub channel ${JSON.stringify(`${layer.prefix}__group__g`)}: The Fernet token was not signed with any of the keys.`,
    ])
  })

  it('close rejects waiting receivers and refuses further use', async () => {
    const layer = makeLayer()
    const channel = await layer.newChannel()
    const waiting = expect(layer.receive(channel)).rejects.toThrow(
      new InvalidChannelLayerError('The channel layer was closed.'),
    )
    await layer.close()
    await waiting
    await expect(layer.send(channel, { type: 'x' })).rejects.toThrow(
      new InvalidChannelLayerError('The channel layer was closed.'),
    )
  })
})

import { ChannelFull, type ChannelLayer, type Message } from '@node-channels/core'
import { neededHere } from '@node-channels/test-support'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { RedisPubSubChannelLayer } from '../src/pubsub-layer.js'
import { RedisChannelLayer } from '../src/redis-channel-layer.js'
import { consistentHash } from '../src/sharding.js'
import { findPython, fromPeerJson, PythonPeer, toPeerJson } from './python-peer.js'
import {
  deleteKeys,
  inspector,
  REDIS_URL,
  redisAvailable,
  subscribed,
  uniquePrefix,
} from './redis-helpers.js'

const python = findPython()
// Skipped when Python's channels_redis (or Redis) is missing locally; under CI it must be there.
const runnable =
  neededHere(
    python !== null,
    'Python with channels_redis (Debian python3-channels-redis) is missing',
  ) && redisAvailable

/** Every type channels_redis carries: bytes, unicode, 64-bit integers, floats, nesting. */
const TYPED: Message = {
  type: 'interop.message',
  text: 'héllo ☃ 𝄞 中文',
  bytes: Uint8Array.of(0, 1, 2, 127, 128, 255),
  int: 42,
  negative: -7,
  big: 2 ** 40,
  huge: 2n ** 63n - 1n,
  tiny: -(2n ** 63n),
  unsigned: 2n ** 64n - 1n,
  float: 1.5,
  none: null,
  flag: true,
  list: [1, 'two', [3, Uint8Array.of(4)]],
  nested: { deep: { bytes: Uint8Array.of(9), ok: false }, empty: {} },
}

async function receive(layer: ChannelLayer, channel: string, timeoutMs = 5000): Promise<Message> {
  return layer.receive(channel, { signal: AbortSignal.timeout(timeoutMs) })
}

const MATRIX = [
  { kind: 'core', keys: [] },
  { kind: 'core', keys: ['interop-secret', 'an-older-key'] },
  { kind: 'pubsub', keys: [] },
  { kind: 'pubsub', keys: ['interop-secret', 'an-older-key'] },
] as const

describe.skipIf(!runnable)('interop with Python channels_redis', () => {
  for (const { kind, keys } of MATRIX) {
    describe(`${kind === 'core' ? 'RedisChannelLayer' : 'RedisPubSubChannelLayer'}${keys.length > 0 ? ' with encryption' : ''}`, () => {
      const prefix = uniquePrefix(`interop-${kind}`)
      const redis = inspector()
      let node: RedisChannelLayer | RedisPubSubChannelLayer
      let peer: PythonPeer

      beforeAll(async () => {
        if (!python)
          throw new Error('CI needs Python with channels_redis (Debian python3-channels-redis).')
        const options = {
          hosts: REDIS_URL,
          prefix,
          ...(keys.length > 0 ? { symmetricEncryptionKeys: [...keys] } : {}),
        }
        node =
          kind === 'core' ? new RedisChannelLayer(options) : new RedisPubSubChannelLayer(options)
        peer = new PythonPeer(python.python, {
          layer: kind,
          hosts: [REDIS_URL],
          prefix,
          keys: [...keys],
        })
        await peer.hello
      })

      // The pub/sub layer has no queues, no group_discard of other processes' channels and no capacity.
      const coreOnly = kind === 'core' ? it : () => {}

      afterAll(async () => {
        await peer?.close()
        await node?.close()
        await deleteKeys(redis, prefix)
        redis.disconnect()
      })

      it('Python group_send reaches Node consumers and Python members alike', async () => {
        const [first, second] = [await node.newChannel(), await node.newChannel()]
        const pythonChannel = (await peer.request('new_channel')) as string
        await node.groupAdd('room', first)
        await node.groupAdd('room', second)
        await peer.request('group_add', { group: 'room', channel: pythonChannel })
        await peer.request('group_send', { group: 'room', message: toPeerJson(TYPED) })
        expect(await receive(node, first)).toEqual(TYPED)
        expect(await receive(node, second)).toEqual(TYPED)
        const inPython = await peer.request('receive', { channel: pythonChannel, timeout_ms: 5000 })
        expect(fromPeerJson(inPython)).toEqual(TYPED)
      })

      it('Node groupSend reaches Python channels', async () => {
        const pythonChannel = (await peer.request('new_channel')) as string
        await peer.request('group_add', { group: 'lobby', channel: pythonChannel })
        await node.groupSend('lobby', TYPED)
        const inPython = await peer.request('receive', { channel: pythonChannel, timeout_ms: 5000 })
        expect(fromPeerJson(inPython)).toEqual(TYPED)
      })

      it('send works both ways on process-local channels', async () => {
        const nodeChannel = await node.newChannel()
        const pythonChannel = (await peer.request('new_channel')) as string
        await node.send(pythonChannel, TYPED)
        await peer.request('send', {
          channel: nodeChannel,
          message: toPeerJson({ ...TYPED, from: 'python' }),
        })
        expect(await receive(node, nodeChannel)).toEqual({ ...TYPED, from: 'python' })
        const inPython = await peer.request('receive', { channel: pythonChannel, timeout_ms: 5000 })
        expect(fromPeerJson(inPython)).toEqual(TYPED)
      })

      it('send works both ways on named channels', async () => {
        const toPython = `${prefix}to-python`
        const toNode = `${prefix}to-node`
        if (kind === 'pubsub') await peer.request('listen', { channel: toPython })
        await node.send(toPython, TYPED)
        const inPython = await peer.request('receive', { channel: toPython, timeout_ms: 5000 })
        expect(fromPeerJson(inPython)).toEqual(TYPED)
        const inNode = receive(node, toNode)
        if (kind === 'pubsub') await subscribed(redis, toNode)
        await peer.request('send', {
          channel: toNode,
          message: toPeerJson({ ...TYPED, from: 'python' }),
        })
        expect(await inNode).toEqual({ ...TYPED, from: 'python' })
      })

      it('runs against the Python layer it expects', async () => {
        const hello = await peer.hello
        expect(hello.version).toBe(python?.version)
        // channels_redis < 4.2.1 publishes pub/sub messages in plaintext whatever the keys: the
        // peer then reproduces 4.2.1's Fernet serializer (see python-peer.py).
        const [major = 0, minor = 0, patch = 0] = hello.version.split('.').map(Number)
        const before421 = major * 1e6 + minor * 1e3 + patch < 4_002_001
        const oldPubSub = kind === 'pubsub' && keys.length > 0 && before421
        expect(hello.shim).toBe(oldPubSub ? '4.2.1 serializer shim' : null)
      })

      coreOnly(
        'reads what Python stores: 12 random bytes, then msgpack or a Fernet token',
        async () => {
          // A layer of its own: the shared one's receive loop may pop ahead of this inspection.
          const fresh = new RedisChannelLayer({
            hosts: REDIS_URL,
            prefix,
            ...(keys.length > 0 ? { symmetricEncryptionKeys: [...keys] } : {}),
          })
          onTestFinished(() => fresh.close())
          const nodeChannel = await fresh.newChannel()
          await peer.request('send', { channel: nodeChannel, message: { type: 'raw.check' } })
          const queue = `${prefix}${nodeChannel.slice(0, nodeChannel.indexOf('!') + 1)}`
          const [member] = await redis.zrangeBuffer(queue, 0, '-1')
          const body = member?.subarray(12)
          if (keys.length > 0) expect(body?.subarray(0, 5).toString()).toBe('gAAAA')
          else expect(body?.[0]).toBe(0x82)
          expect(await receive(fresh, nodeChannel)).toEqual({ type: 'raw.check' })
        },
      )

      coreOnly('respects Python group_discard of a Node channel', async () => {
        const [kept, dropped] = [await node.newChannel(), await node.newChannel()]
        await node.groupAdd('shrinking', kept)
        await node.groupAdd('shrinking', dropped)
        await peer.request('group_discard', { group: 'shrinking', channel: dropped })
        await peer.request('group_send', { group: 'shrinking', message: { type: 'after.discard' } })
        expect(await receive(node, kept)).toEqual({ type: 'after.discard' })
        await expect(receive(node, dropped, 300)).rejects.toThrow(
          'The operation was aborted due to timeout',
        )
      })

      coreOnly('agrees with Python on when a channel is full', async () => {
        const channel = `${prefix}full`
        for (let index = 0; index < 100; index++) await node.send(channel, { type: 'fill', index })
        await expect(node.send(channel, { type: 'fill' })).rejects.toThrow(new ChannelFull(channel))
        await expect(peer.request('send', { channel, message: { type: 'fill' } })).rejects.toThrow(
          'Python send failed: ChannelFull: ',
        )
        const inPython = await peer.request('receive', { channel, timeout_ms: 5000 })
        expect(inPython).toEqual({ type: 'fill', index: 0 })
      })
    })
  }

  describe('RedisChannelLayer sharded over three hosts (databases 4-6)', () => {
    const hosts = [4, 5, 6].map((db) => `${REDIS_URL.replace(/\/\d*$/, '')}/${db}`)
    const prefix = uniquePrefix('interop-shards')
    let node: RedisChannelLayer
    let peer: PythonPeer

    beforeAll(async () => {
      if (!python)
        throw new Error('CI needs Python with channels_redis (Debian python3-channels-redis).')
      node = new RedisChannelLayer({ hosts, prefix })
      peer = new PythonPeer(python.python, { layer: 'core', hosts, prefix })
      await peer.hello
    })

    afterAll(async () => {
      await peer?.close()
      await node?.close()
      for (const host of hosts) {
        const client = inspector(host)
        await deleteKeys(client, prefix)
        client.disconnect()
      }
    })

    it("receives Python's send() even on the shard Python wrongly picks (django/channels#1492)", async () => {
      // Find a Node channel whose full name hashes to another shard than its queue does.
      let channel = await node.newChannel()
      const queue = channel.slice(0, channel.indexOf('!') + 1)
      for (
        let attempt = 0;
        attempt < 100 && consistentHash(channel, 3) === consistentHash(queue, 3);
        attempt++
      ) {
        channel = await node.newChannel()
      }
      expect(consistentHash(channel, 3)).not.toBe(consistentHash(queue, 3))
      await peer.request('send', { channel, message: toPeerJson(TYPED) })
      expect(await receive(node, channel)).toEqual(TYPED)
    })

    it('exchanges group messages and process-local sends both ways across the shards', async () => {
      const nodeChannels = [await node.newChannel(), await node.newChannel()]
      const pythonChannel = (await peer.request('new_channel')) as string
      for (const channel of nodeChannels) await node.groupAdd('sharded', channel)
      await peer.request('group_add', { group: 'sharded', channel: pythonChannel })
      await peer.request('group_send', { group: 'sharded', message: { type: 'from.python' } })
      for (const channel of nodeChannels)
        expect(await receive(node, channel)).toEqual({ type: 'from.python' })
      await node.groupSend('sharded', { type: 'from.node' })
      expect(await peer.request('receive', { channel: pythonChannel, timeout_ms: 5000 })).toEqual({
        type: 'from.python',
      })
      expect(await peer.request('receive', { channel: pythonChannel, timeout_ms: 5000 })).toEqual({
        type: 'from.node',
      })
      await node.send(pythonChannel, { type: 'direct.from.node' })
      expect(await peer.request('receive', { channel: pythonChannel, timeout_ms: 5000 })).toEqual({
        type: 'direct.from.node',
      })
    })
  })
})

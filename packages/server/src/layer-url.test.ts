import { InMemoryChannelLayer } from '@node-channels/core'
import { describe, expect, it } from 'vitest'
import { loadChannelLayer } from './layer-url.js'

describe('loadChannelLayer', () => {
  it('builds an in-memory layer from memory://', async () => {
    const layer = await loadChannelLayer('memory://')
    expect(layer).toBeInstanceOf(InMemoryChannelLayer)
    await layer.close()
  })

  it('builds a Redis layer from redis:// through @node-channels/redis, loaded on demand', async () => {
    const layer = await loadChannelLayer('redis://127.0.0.1:6379?prefix=lu-test&layer=pubsub')
    expect(layer.constructor.name).toBe('RedisPubSubChannelLayer')
    await layer.close()
    const core = await loadChannelLayer('rediss://127.0.0.1:6380/2')
    expect(core.constructor.name).toBe('RedisChannelLayer')
    await core.close()
  })

  it.each([
    [
      'amqp://localhost',
      'Unknown channel layer URL scheme "amqp:": use memory://, redis:// or rediss://.',
    ],
    [
      'localhost',
      'Unknown channel layer URL scheme "localhost": use memory://, redis:// or rediss://.',
    ],
    [
      'memory://host?capacity=1',
      'A memory channel layer URL takes no host or options: "memory://host?capacity=1".',
    ],
    [
      'redis://127.0.0.1:6379?bogus=1',
      'Unknown channel layer URL parameter "bogus"; expected one of layer, prefix, symmetricEncryptionKeys, db, capacity, expiryMs, groupExpiryMs, maxMessageBytes, connectTimeoutMs, commandTimeoutMs, randomPrefixLength.',
    ],
  ])('refuses %j with a TypeError', async (url, message) => {
    await expect(loadChannelLayer(url)).rejects.toThrow(new TypeError(message))
  })
})

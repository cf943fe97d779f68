import { describe, expect, it } from 'vitest'
import { channelLayerFromUrl } from './from-url.js'
import { RedisPubSubChannelLayer } from './pubsub-layer.js'
import { RedisChannelLayer } from './redis-channel-layer.js'

// Layers connect lazily: building them here opens no socket.
describe('channelLayerFromUrl', () => {
  it('builds a RedisChannelLayer with the options in the query', async () => {
    const layer = channelLayerFromUrl(
      'redis://:secret@127.0.0.1:6390/2?prefix=chat&capacity=50&expiryMs=30000&groupExpiryMs=600000',
    )
    expect(layer).toBeInstanceOf(RedisChannelLayer)
    const core = layer as RedisChannelLayer
    expect([core.prefix, core.capacity, core.expiryMs, core.groupExpiryMs]).toEqual([
      'chat',
      50,
      30_000,
      600_000,
    ])
    await layer.close()
  })

  it('uses channels_redis defaults for a bare URL', async () => {
    const layer = channelLayerFromUrl('redis://127.0.0.1:6379') as RedisChannelLayer
    expect([layer.prefix, layer.capacity, layer.expiryMs, layer.groupExpiryMs]).toEqual([
      'asgi',
      100,
      60_000,
      86_400_000,
    ])
    await layer.close()
  })

  it('builds a RedisPubSubChannelLayer for layer=pubsub, also over rediss://', async () => {
    const layer = channelLayerFromUrl(
      'rediss://example.com:6380?layer=pubsub&prefix=p&symmetricEncryptionKeys=a&symmetricEncryptionKeys=b',
    )
    expect(layer).toBeInstanceOf(RedisPubSubChannelLayer)
    expect((layer as RedisPubSubChannelLayer).prefix).toBe('p')
    await layer.close()
  })

  it.each([
    [
      'http://127.0.0.1:6379',
      'A channel layer URL must be a redis:// or rediss:// URL, not "http://127.0.0.1:6379".',
    ],
    ['not a url', 'A channel layer URL must be a redis:// or rediss:// URL, not "not a url".'],
    [
      'redis://h?layer=kafka',
      'The channel layer URL parameter layer must be "core" or "pubsub", not "kafka".',
    ],
    [
      'redis://h?capacity=ten',
      'The channel layer URL parameter capacity must be a whole number, not "ten".',
    ],
    [
      'redis://h?layer=pubsub&groupExpiryMs=5',
      'The channel layer URL parameter groupExpiryMs applies to layer=core only.',
    ],
    [
      'redis://h?timeout=5',
      'Unknown channel layer URL parameter "timeout"; expected one of layer, prefix, symmetricEncryptionKeys, db, capacity, expiryMs, groupExpiryMs, maxMessageBytes, connectTimeoutMs, commandTimeoutMs, randomPrefixLength.',
    ],
  ])('refuses %j', (url, message) => {
    expect(() => channelLayerFromUrl(url)).toThrow(new TypeError(message))
  })

  it('passes option errors through from the layer', () => {
    expect(() => channelLayerFromUrl('redis://h?capacity=0')).toThrow(
      new TypeError(
        'Invalid RedisChannelLayer options: ✖ Too small: expected number to be >0\n  → at capacity',
      ),
    )
  })
})

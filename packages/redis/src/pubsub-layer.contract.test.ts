import { randomUUID } from 'node:crypto'
import { runChannelLayerContract } from '@node-channels/testing/layer-contract'
import { Redis } from 'ioredis'
import { describe } from 'vitest'
import { RedisPubSubChannelLayer } from './pubsub-layer.js'

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const probe = new Redis(url, {
  lazyConnect: true,
  maxRetriesPerRequest: 0,
  retryStrategy: () => null,
})
probe.on('error', () => {})
const reachable = await probe.connect().then(
  () => true,
  () => false,
)
probe.disconnect()

// Skipped only when Redis is absent outside CI; under CI a missing Redis fails the suite.
describe.skipIf(!reachable && !process.env.CI)('RedisPubSubChannelLayer on Redis', () => {
  runChannelLayerContract(
    'RedisPubSubChannelLayer',
    (config) =>
      new RedisPubSubChannelLayer({
        hosts: url,
        prefix: `nctest.contract.${randomUUID()}.`,
        capacity: config.capacity,
        expiryMs: config.expiryMs,
      }),
    {
      unsupported: {
        capacity: 'Pub/sub keeps no queue, so send() never finds a channel full.',
        expiry:
          'Pub/sub has no queue: a message published before anyone subscribed is gone anyway.',
        groupExpiry:
          'Group membership lives in the subscribing process (as in channels_redis.pubsub) and does not expire.',
        namedChannelQueue:
          'A named channel is a pub/sub channel: a message published while nobody is subscribed is lost.',
        processLocalNames:
          'channels_redis.pubsub names channels "<prefix>specific.<uuid>", without "!".',
      },
    },
  )
})

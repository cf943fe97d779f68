import { REDIS_URL, redisNeeded, uniquePrefix } from '@node-channels/test-support/redis'
import { runChannelLayerContract } from '@node-channels/testing/layer-contract'
import { describe } from 'vitest'
import { RedisPubSubChannelLayer } from './pubsub-layer.js'

// Skipped only when Redis is absent outside CI; under CI a missing Redis fails the suite.
const available = await redisNeeded()

describe.skipIf(!available)('RedisPubSubChannelLayer on Redis', () => {
  runChannelLayerContract(
    'RedisPubSubChannelLayer',
    (config) =>
      new RedisPubSubChannelLayer({
        hosts: REDIS_URL,
        prefix: uniquePrefix('contract'),
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

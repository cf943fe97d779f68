import { REDIS_URL, redisNeeded, uniquePrefix } from '@node-channels/test-support/redis'
import { runChannelLayerContract } from '@node-channels/testing/layer-contract'
import { describe } from 'vitest'
import { RedisChannelLayer } from './redis-channel-layer.js'

// Skipped only when Redis is absent outside CI; under CI a missing Redis fails the suite.
const available = await redisNeeded()

describe.skipIf(!available)('RedisChannelLayer on Redis', () => {
  runChannelLayerContract(
    'RedisChannelLayer',
    // Each layer gets its own prefix, so flush() in the suite's cleanup touches nothing else.
    (config) =>
      new RedisChannelLayer({ hosts: REDIS_URL, prefix: uniquePrefix('contract'), ...config }),
    // Message expiry is exact to the millisecond; group membership too (no whole-second rounding).
    { expiryMs: 300, groupExpiryMs: 300 },
  )
})

import { randomUUID } from 'node:crypto'
import { runChannelLayerContract } from '@node-channels/testing/layer-contract'
import { Redis } from 'ioredis'
import { describe } from 'vitest'
import { RedisChannelLayer } from './redis-channel-layer.js'

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
describe.skipIf(!reachable && !process.env.CI)('RedisChannelLayer on Redis', () => {
  runChannelLayerContract(
    'RedisChannelLayer',
    // Each layer gets its own prefix, so flush() in the suite's cleanup touches nothing else.
    (config) =>
      new RedisChannelLayer({ hosts: url, prefix: `nctest.contract.${randomUUID()}.`, ...config }),
    // Message expiry is exact to the millisecond; group membership too (no whole-second rounding).
    { expiryMs: 300, groupExpiryMs: 300 },
  )
})

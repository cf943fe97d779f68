import { describe, expect, it } from 'vitest'
import { redisAvailable } from '../process/redis-instance.js'
import { runsInCi } from '../suite/config.js'
import { measureRedisGroupSend } from './redis-group-send.js'

const inCi = runsInCi()

describe('measureRedisGroupSend', () => {
  it.skipIf(!inCi && !redisAvailable())(
    'measures a few group sends against a private redis-server',
    async () => {
      // It throws unless every send stored its message in both processes' queues.
      const result = await measureRedisGroupSend({ members: 20, sends: 5 })
      expect(result.wallUs).toBeGreaterThan(0)
      expect(Number.isFinite(result.userUs)).toBe(true)
      expect(result.systemUs).toBeGreaterThanOrEqual(0)
    },
    30_000,
  )
})

import { describe, expect, it } from 'vitest'
import { type ConsumerPathForm, measureConsumerPath } from './consumer-path.js'

describe('measureConsumerPath', () => {
  it.each<ConsumerPathForm>(['handler', 'sync-handler', 'relays'])(
    'measures every delivery of a few small rounds (%s)',
    async (form) => {
      // Each round checks that every member sent every message (it throws otherwise).
      const result = await measureConsumerPath({ form, members: 20, rounds: 3, burst: 4 })
      expect(result.userNs).toBeGreaterThan(0)
      expect(Number.isFinite(result.userNs)).toBe(true)
      expect(result.systemNs).toBeGreaterThanOrEqual(0)
    },
  )
})

import { describe, expect, it } from 'vitest'
import { wallClockSeconds } from '../src/redis-channel-layer.js'

describe('wallClockSeconds (queue scores)', () => {
  it('is the wall clock to within a millisecond, with digits below the millisecond', () => {
    let fractional = 0
    for (let i = 0; i < 50; i++) {
      const before = Date.now()
      const seconds = wallClockSeconds()
      const after = Date.now()
      expect(seconds * 1000).toBeGreaterThan(before - 1)
      expect(seconds * 1000).toBeLessThan(after + 1)
      if (!Number.isInteger(Math.round(seconds * 1e6) / 1000)) fractional += 1
    }
    // Python's time.time() has microseconds; a millisecond clock would give none here.
    expect(fractional).toBeGreaterThan(0)
  })
})

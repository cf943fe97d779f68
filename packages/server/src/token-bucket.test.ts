import { describe, expect, it } from 'vitest'
import { TokenBucket } from './token-bucket.js'

function clock(): { now: () => number; advance: (ms: number) => void } {
  let time = 1_000
  return { now: () => time, advance: (ms) => (time += ms) }
}

describe('TokenBucket', () => {
  it('lets a burst through, then refills at the rate', () => {
    const time = clock()
    const bucket = new TokenBucket(10, 3, time.now)
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([
      true,
      true,
      true,
      false,
    ])
    time.advance(99)
    expect(bucket.take()).toBe(false)
    time.advance(1)
    expect(bucket.take()).toBe(true)
    expect(bucket.take()).toBe(false)
  })

  it('never holds more than the burst, however long it was idle', () => {
    const time = clock()
    const bucket = new TokenBucket(1000, 2, time.now)
    time.advance(60_000)
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false])
  })

  it('sustains exactly the rate over time', () => {
    const time = clock()
    const bucket = new TokenBucket(100, 1, time.now)
    let passed = 0
    for (let ms = 0; ms < 1000; ms++) {
      time.advance(1)
      if (bucket.take()) passed++
    }
    expect(passed).toBe(100)
  })

  it('takes the time from the caller when given, and an earlier time refills nothing', () => {
    const bucket = new TokenBucket(10, 1, () => 1_000)
    expect(bucket.take(1_000)).toBe(true)
    expect(bucket.take(1_050)).toBe(false)
    // A reading older than the last one neither refills nor moves the clock back.
    expect(bucket.take(900)).toBe(false)
    expect(bucket.take(1_099)).toBe(false)
    expect(bucket.take(1_100)).toBe(true)
  })

  it('refuses a rate or burst that cannot work', () => {
    expect(() => new TokenBucket(0, 1)).toThrow(
      new RangeError('A token bucket needs a rate above 0 per second, not 0.'),
    )
    expect(() => new TokenBucket(1, 0)).toThrow(
      new RangeError('A token bucket needs a burst of at least 1, not 0.'),
    )
  })
})

import { afterEach, describe, expect, it, vi } from 'vitest'
import { callbackNow } from './callback-clock.js'

const nextCallback = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

afterEach(() => {
  vi.restoreAllMocks()
})

describe('callbackNow', () => {
  it('reads the clock once per callback, its microtasks included, and again in the next', async () => {
    await nextCallback()
    const now = vi.spyOn(Date, 'now')
    now.mockReturnValue(1_000)
    expect(callbackNow()).toBe(1_000)
    now.mockReturnValue(2_000)
    expect(callbackNow()).toBe(1_000)
    await Promise.resolve()
    expect(callbackNow()).toBe(1_000)
    expect(now).toHaveBeenCalledTimes(1)
    await nextCallback()
    expect(callbackNow()).toBe(2_000)
    expect(now).toHaveBeenCalledTimes(2)
  })

  it('is never ahead of Date.now()', async () => {
    await nextCallback()
    const reading = callbackNow()
    expect(reading).toBeLessThanOrEqual(Date.now())
    await nextCallback()
    expect(callbackNow()).toBeGreaterThanOrEqual(reading)
  })
})

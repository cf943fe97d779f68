/**
 * A token bucket: holds up to `burst` tokens, refilled at `perSecond`; each `take()` spends
 * one. A client may send `burst` messages at once, then `perSecond` a second for ever.
 */
export class TokenBucket {
  readonly #perMs: number
  readonly #burst: number
  readonly #now: () => number
  #tokens: number
  #updatedAt: number

  constructor(perSecond: number, burst: number, now: () => number = monotonicNow) {
    if (!(perSecond > 0) || !Number.isFinite(perSecond)) {
      throw new RangeError(`A token bucket needs a rate above 0 per second, not ${perSecond}.`)
    }
    if (!Number.isInteger(burst) || burst < 1) {
      throw new RangeError(`A token bucket needs a burst of at least 1, not ${burst}.`)
    }
    this.#perMs = perSecond / 1000
    this.#burst = burst
    this.#now = now
    this.#tokens = burst
    this.#updatedAt = now()
  }

  /**
   * Spends a token and returns true, or returns false when the bucket is empty. `now` is the
   * time on the bucket's clock, when the caller already has it.
   */
  take(now: number = this.#now()): boolean {
    if (now > this.#updatedAt) {
      this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#updatedAt) * this.#perMs)
      this.#updatedAt = now
    }
    // The epsilon absorbs floating-point drift: ten refills of 0.1 must make a whole token.
    if (this.#tokens < 1 - 1e-9) return false
    this.#tokens -= 1
    return true
  }
}

function monotonicNow(): number {
  return performance.now()
}

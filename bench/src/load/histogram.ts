/** Sub-buckets per power of two: values are kept to within 1/64 (about 1.6 %). */
const SUB_BUCKETS = 64
const SUB_BITS = 6
/** The largest value recorded exactly; larger ones are clamped (about 35 minutes in microseconds). */
const MAX_VALUE = 0x7fffffff
const BUCKETS = (31 - SUB_BITS) * SUB_BUCKETS + 2 * SUB_BUCKETS

/** A histogram as it travels between processes: the non-empty buckets and the exact maximum. */
export type HistogramSnapshot = { buckets: Array<[index: number, count: number]>; max: number }

/**
 * A log-linear latency histogram (the HDR idea, simplified): constant-time `record`, bounded
 * memory (1,728 counters), mergeable across generator processes, percentiles to ~1.6 %.
 */
export class Histogram {
  readonly #counts = new Float64Array(BUCKETS)
  #total = 0
  #max = 0

  /** Records one value (microseconds, or any non-negative integer unit). */
  record(value: number): void {
    const v = value <= 0 ? 0 : value >= MAX_VALUE ? MAX_VALUE : Math.floor(value)
    const bits = 31 - Math.clz32(v)
    const shift = bits > SUB_BITS ? bits - SUB_BITS : 0
    const index = shift * SUB_BUCKETS + (v >>> shift)
    this.#counts[index] = (this.#counts[index] ?? 0) + 1
    this.#total++
    if (v > this.#max) this.#max = v
  }

  /** How many values were recorded. */
  get count(): number {
    return this.#total
  }

  /** The largest value recorded (exact). */
  get max(): number {
    return this.#max
  }

  /** The value at `quantile` (0..1), as the midpoint of its bucket; 0 when empty. */
  percentile(quantile: number): number {
    if (!(quantile >= 0 && quantile <= 1)) {
      throw new RangeError(`A quantile must be between 0 and 1, got ${JSON.stringify(quantile)}.`)
    }
    if (this.#total === 0) return 0
    const rank = Math.max(1, Math.ceil(quantile * this.#total))
    let seen = 0
    for (let index = 0; index < BUCKETS; index++) {
      seen += this.#counts[index] ?? 0
      if (seen >= rank) return Math.min(bucketMidpoint(index), this.#max)
    }
    return this.#max
  }

  /** The non-empty buckets, for sending to another process. */
  snapshot(): HistogramSnapshot {
    const buckets: HistogramSnapshot['buckets'] = []
    for (let index = 0; index < BUCKETS; index++) {
      const count = this.#counts[index] ?? 0
      if (count > 0) buckets.push([index, count])
    }
    return { buckets, max: this.#max }
  }

  /** Adds another histogram's snapshot into this one. */
  merge(snapshot: HistogramSnapshot): void {
    for (const [index, count] of snapshot.buckets) {
      if (!Number.isInteger(index) || index < 0 || index >= BUCKETS || !(count >= 0)) {
        throw new RangeError(
          `A histogram bucket must be [0..${BUCKETS - 1}, count >= 0], got ${JSON.stringify([index, count])}.`,
        )
      }
      this.#counts[index] = (this.#counts[index] ?? 0) + count
      this.#total += count
    }
    if (snapshot.max > this.#max) this.#max = snapshot.max
  }

  /** Forgets every value (used at the start of a measurement window). */
  reset(): void {
    this.#counts.fill(0)
    this.#total = 0
    this.#max = 0
  }
}

function bucketShift(index: number): number {
  return index < 2 * SUB_BUCKETS ? 0 : Math.floor(index / SUB_BUCKETS) - 1
}

function bucketMidpoint(index: number): number {
  const shift = bucketShift(index)
  const low = (index - shift * SUB_BUCKETS) * 2 ** shift
  return low + (2 ** shift - 1) / 2
}

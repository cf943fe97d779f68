import { describe, expect, it } from 'vitest'
import { Histogram } from './histogram.js'

describe('Histogram', () => {
  it('gives percentiles within 1.6 % of the exact ones over a wide range', () => {
    const histogram = new Histogram()
    const values = Array.from({ length: 10_000 }, (_, index) => (index + 1) * 37)
    for (const value of values) histogram.record(value)
    for (const quantile of [0.5, 0.9, 0.99]) {
      const exact = values[Math.ceil(quantile * values.length) - 1] ?? 0
      expect(Math.abs(histogram.percentile(quantile) - exact) / exact).toBeLessThan(0.016)
    }
    expect(histogram.count).toBe(10_000)
    expect(histogram.max).toBe(370_000)
  })

  it('keeps small values exact and clamps negative ones to zero', () => {
    const histogram = new Histogram()
    histogram.record(-5)
    histogram.record(3)
    histogram.record(3)
    histogram.record(100)
    expect(histogram.percentile(0.25)).toBe(0)
    expect(histogram.percentile(0.5)).toBe(3)
    expect(histogram.percentile(1)).toBe(100)
  })

  it('merges snapshots from other processes', () => {
    const first = new Histogram()
    const second = new Histogram()
    for (let value = 1; value <= 500; value++) first.record(value)
    for (let value = 501; value <= 1000; value++) second.record(value)
    const merged = new Histogram()
    merged.merge(first.snapshot())
    merged.merge(second.snapshot())
    expect(merged.count).toBe(1000)
    expect(merged.max).toBe(1000)
    expect(Math.abs(merged.percentile(0.5) - 500)).toBeLessThanOrEqual(4)
  })

  it('refuses a quantile outside 0..1 and a corrupt snapshot', () => {
    const histogram = new Histogram()
    expect(() => histogram.percentile(1.5)).toThrow('A quantile must be between 0 and 1, got 1.5.')
    expect(() => histogram.merge({ buckets: [[-1, 2]], max: 0 })).toThrow(
      'A histogram bucket must be [0..1727, count >= 0], got [-1,2].',
    )
  })

  it('reports 0 when empty and forgets everything on reset', () => {
    const histogram = new Histogram()
    expect(histogram.percentile(0.99)).toBe(0)
    histogram.record(42)
    histogram.reset()
    expect(histogram.count).toBe(0)
    expect(histogram.max).toBe(0)
  })
})

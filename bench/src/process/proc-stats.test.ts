import { describe, expect, it } from 'vitest'
import { cpuTimeMs, residentBytes } from './proc-stats.js'

/** Spins this thread for about `ms` milliseconds of wall time. */
function spin(ms: number): void {
  const end = performance.now() + ms
  while (performance.now() < end) {}
}

describe('cpuTimeMs', () => {
  it('sees a few milliseconds of work, finer than the 10 ms clock tick', () => {
    const before = cpuTimeMs(process.pid)
    spin(3)
    const used = cpuTimeMs(process.pid) - before
    expect(used).toBeGreaterThan(0)
    expect(used).toBeLessThan(1_000)
  })

  it('grows by about the CPU time spent', () => {
    const before = cpuTimeMs(process.pid)
    const started = process.cpuUsage()
    spin(60)
    const used = cpuTimeMs(process.pid) - before
    const measured = process.cpuUsage(started)
    const ownMs = (measured.user + measured.system) / 1000
    expect(used).toBeGreaterThanOrEqual(ownMs * 0.5)
    expect(used).toBeLessThan(ownMs + 1_000)
  })

  it('names the process when it does not exist', () => {
    expect(() => cpuTimeMs(2 ** 30)).toThrow(/1073741824/)
  })
})

describe('residentBytes', () => {
  it('reads a plausible resident size for this process', () => {
    expect(residentBytes(process.pid)).toBeGreaterThan(1024 * 1024)
  })
})

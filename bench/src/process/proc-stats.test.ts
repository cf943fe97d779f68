import { describe, expect, it } from 'vitest'
import { cpuSplitMs, cpuTimeMs, parseStatTimes, residentBytes } from './proc-stats.js'

/** Spins this thread for about `ms` milliseconds of wall time. */
function spin(ms: number): void {
  const end = performance.now() + ms
  while (performance.now() < end) {}
}

/** Spins until the process has used `ms` milliseconds of CPU (at most 2 s of wall time). */
function spinCpu(ms: number): void {
  const start = process.cpuUsage()
  const giveUp = performance.now() + 2_000
  for (;;) {
    const { user, system } = process.cpuUsage(start)
    if (user + system >= ms * 1000 || performance.now() > giveUp) return
  }
}

describe('cpuTimeMs', () => {
  it('sees a few milliseconds of work, finer than the 10 ms clock tick', () => {
    const before = cpuTimeMs(process.pid)
    spinCpu(3)
    const used = cpuTimeMs(process.pid) - before
    // Ticks would read 0 or 10 (or 20) ms here.
    expect(used).toBeGreaterThan(0.5)
    expect(used).toBeLessThan(9.5)
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

describe('cpuSplitMs', () => {
  it('reads utime and stime after a command name with spaces and parentheses', () => {
    const line =
      '4242 (node (x) y) R 1 4242 4242 0 -1 4194304 2981 0 0 0 1234 56 0 0 20 0 11 0 99 1 2'
    expect(parseStatTimes(line)).toEqual({ userMs: 12_340, kernelMs: 560 })
  })

  it('says which line it could not read', () => {
    expect(() => parseStatTimes('1 (x) R 1')).toThrow(/"1 \(x\) R 1"/)
  })

  it('adds up to about the precise total for this process', () => {
    spinCpu(40)
    const { userMs, kernelMs } = cpuSplitMs(process.pid)
    // Ticks are 10 ms steps per thread; the total counts every live thread too.
    expect(Math.abs(userMs + kernelMs - cpuTimeMs(process.pid))).toBeLessThan(200)
    expect(userMs).toBeGreaterThan(0)
  })
})

import { describe, expect, it } from 'vitest'
import { BenchConfigError, readConfig, runsInCi } from './config.js'
import { selected } from './run-suite.js'

describe('readConfig', () => {
  it('reads options over the environment, and --help', () => {
    const config = readConfig(['--repeats', '5', '--servers', 'raw-ws, node-channels', '-h'], {
      BENCH_REPEATS: '2',
      BENCH_SCENARIOS: 'echo-64B-50x1',
    })
    expect(config.repeats).toBe(5)
    expect(config.servers).toEqual(['raw-ws', 'node-channels'])
    expect(config.scenarios).toEqual(['echo-64B-50x1'])
    expect(config.help).toBe(true)
    expect(readConfig([], {}).help).toBe(false)
  })

  it('counts CI as set unless empty or "false", and then requires every peer', () => {
    expect(runsInCi({ CI: 'true' })).toBe(true)
    expect(runsInCi({ CI: '1' })).toBe(true)
    for (const off of [{}, { CI: '' }, { CI: 'false' }]) expect(runsInCi(off)).toBe(false)
    expect(readConfig([], { CI: 'true' }).requireAllPeers).toBe(true)
    expect(readConfig([], {}).requireAllPeers).toBe(false)
  })

  it('runs Redis on any CPU unless BENCH_REDIS_CPUS pins it', () => {
    // Pinning needs two CPUs; this machine has them (CI too).
    expect(readConfig([], {}).redisCpus).toBeNull()
    expect(readConfig([], { BENCH_REDIS_CPUS: '0' }).redisCpus).toBe('0')
    expect(readConfig([], { BENCH_REDIS_CPUS: 'any' }).redisCpus).toBeNull()
  })

  it('refuses an unknown option or a bad number with a BenchConfigError quoting it', () => {
    expect(() => readConfig(['--bogus'], {})).toThrow(
      new BenchConfigError("Unknown option '--bogus'"),
    )
    expect(() => readConfig(['--repeats', 'x'], {})).toThrow(
      new BenchConfigError('--repeats must be a positive integer, got "x".'),
    )
    expect(() => readConfig([], { BENCH_DURATION_MS: '0' })).toThrow(BenchConfigError)
  })
})

describe('selected', () => {
  const items = [{ id: 'a' }, { id: 'b' }, { id: 'c' }]

  it('keeps the items named, in their own order, or all of them', () => {
    expect(selected('server', items, ['c', 'a'])).toEqual([{ id: 'a' }, { id: 'c' }])
    expect(selected('server', items, null)).toBe(items)
  })

  it('refuses an id that names none, listing the known ones', () => {
    expect(() => selected('scenario', items, ['a', 'zz'])).toThrow(
      new BenchConfigError('Unknown scenario "zz"; known: a, b, c.'),
    )
  })
})

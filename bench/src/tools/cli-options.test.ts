import { describe, expect, it } from 'vitest'
import { burstToolOptions, listOption, positiveOption } from './cli-options.js'

describe('option checks of the tools', () => {
  it('takes a positive integer and names the option and value otherwise', () => {
    expect(positiveOption('rounds', '40')).toBe(40)
    for (const bad of ['0', '-1', '1.5', 'ten', '']) {
      expect(() => positiveOption('rounds', bad)).toThrow(
        `--rounds must be a positive integer, got ${JSON.stringify(bad)}.`,
      )
    }
  })

  it('takes a list of allowed items and names a stray one', () => {
    const allowed = ['handler', 'relays'] as const
    expect(listOption('forms', 'relays,handler', allowed)).toEqual(['relays', 'handler'])
    expect(() => listOption('forms', 'handler,cork', allowed)).toThrow(
      '--forms takes handler, relays, got "cork".',
    )
  })

  it("reads the group-send tools' options, with --layers only where a tool has layers", () => {
    const forms = ['handler', 'relays'] as const
    const layers = ['memory', 'redis'] as const
    expect(burstToolOptions(forms, 40, layers, [])).toEqual({
      members: 1000,
      rounds: 40,
      burst: 10,
      forms: ['handler', 'relays'],
      layers: ['memory'],
    })
    const asked = ['--members', '20', '--forms', 'relays', '--layers', 'redis,memory']
    expect(burstToolOptions(forms, 40, layers, asked)).toMatchObject({
      members: 20,
      forms: ['relays'],
      layers: ['redis', 'memory'],
    })
    expect(burstToolOptions(forms, 40, [], []).layers).toEqual([])
    expect(() => burstToolOptions(forms, 40, [], ['--layers', 'redis'])).toThrow(
      'This tool takes no --layers, got "redis".',
    )
    expect(() => burstToolOptions(forms, 40, layers, ['--layers', 'pg'])).toThrow(
      '--layers takes memory, redis, got "pg".',
    )
  })
})

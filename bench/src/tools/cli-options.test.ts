import { describe, expect, it } from 'vitest'
import { listOption, positiveOption } from './cli-options.js'

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
})

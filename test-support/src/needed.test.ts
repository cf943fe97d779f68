import { describe, expect, it } from 'vitest'
import { MissingInCiError, neededHere } from './needed.js'

describe('neededHere', () => {
  it('runs the tests when what they need is present, with or without CI', () => {
    expect(neededHere(true, 'Redis is not reachable', {})).toBe(true)
    expect(neededHere(true, 'Redis is not reachable', { CI: 'true' })).toBe(true)
  })

  it('skips them on a machine without it when CI is not set', () => {
    expect(neededHere(false, 'Redis is not reachable', {})).toBe(false)
    expect(neededHere(false, 'Redis is not reachable', { CI: '' })).toBe(false)
  })

  it('fails loudly under CI when it is missing, whatever CI is set to', () => {
    for (const CI of ['true', '1', 'false']) {
      expect(() => neededHere(false, 'Redis is not reachable', { CI })).toThrow(
        new MissingInCiError('Redis is not reachable, and CI needs it.'),
      )
    }
    expect(() => neededHere(false, '/usr/bin/chromium is missing', { CI: 'true' })).toThrow(
      MissingInCiError,
    )
  })
})

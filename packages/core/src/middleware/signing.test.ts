import { describe, expect, it } from 'vitest'
import { constantTimeEqual, normalizeSecrets, signExpiring, unsignExpiring } from './signing.js'

const OLD = 'old-secret-old-secret-old-secret-0'
const NEW = 'new-secret-new-secret-new-secret-1'
const NOW = 1_700_000_000_000

describe('signExpiring / unsignExpiring', () => {
  it('round-trips a value before its expiry', () => {
    const signed = signExpiring('abc123', NOW + 1000, NEW, 'salt')
    expect(signed).toMatch(/^abc123\.[0-9a-z]+\.[A-Za-z0-9_-]{43}$/)
    expect(unsignExpiring(signed, [NEW], 'salt', NOW)).toBe('abc123')
  })

  it('refuses an expired value, even with a valid signature', () => {
    const signed = signExpiring('abc123', NOW + 1000, NEW, 'salt')
    expect(unsignExpiring(signed, [NEW], 'salt', NOW + 1000)).toBe(null)
  })

  it('refuses a tampered value, expiry or signature', () => {
    const signed = signExpiring('abc123', NOW + 1000, NEW, 'salt')
    const [value, expiry, signature] = signed.split('.') as [string, string, string]
    expect(unsignExpiring(`abc124.${expiry}.${signature}`, [NEW], 'salt', NOW)).toBe(null)
    expect(unsignExpiring(`${value}.zzzzzz.${signature}`, [NEW], 'salt', NOW)).toBe(null)
    const flipped = signature.startsWith('A') ? `B${signature.slice(1)}` : `A${signature.slice(1)}`
    expect(unsignExpiring(`${value}.${expiry}.${flipped}`, [NEW], 'salt', NOW)).toBe(null)
  })

  it('verifies with every secret of a rotation list, and refuses a retired one', () => {
    const signedByOld = signExpiring('abc', NOW + 1000, OLD, 'salt')
    expect(unsignExpiring(signedByOld, [NEW, OLD], 'salt', NOW)).toBe('abc')
    expect(unsignExpiring(signedByOld, [NEW], 'salt', NOW)).toBe(null)
  })

  it('keeps purposes apart: a signature under one salt is invalid under another', () => {
    const signed = signExpiring('abc', NOW + 1000, NEW, 'session')
    expect(unsignExpiring(signed, [NEW], 'auth-token', NOW)).toBe(null)
  })

  it.each([
    [''],
    ['.'],
    ['..'],
    ['a.b'],
    ['a.b.c'],
    [`a.${'z'.repeat(20)}.${'A'.repeat(43)}`],
    [`a.b.c.${'A'.repeat(43)}`],
    ['x'.repeat(100_000)],
    [42],
    [null],
  ])('returns null for garbage %#', (garbage) => {
    expect(unsignExpiring(garbage, [NEW], 'salt', NOW)).toBe(null)
  })

  it('refuses to sign a value containing the separator', () => {
    expect(() => signExpiring('a.b', NOW, NEW, 'salt')).toThrow(
      new TypeError('A signed value cannot contain ".": "a.b".'),
    )
  })
})

describe('normalizeSecrets', () => {
  it('accepts one secret or a list, and never quotes a secret in its errors', () => {
    expect(normalizeSecrets(NEW, 'X')).toEqual([NEW])
    expect(normalizeSecrets([NEW, OLD], 'X')).toEqual([NEW, OLD])
    expect(() => normalizeSecrets('short-secret', 'X')).toThrow(
      new RangeError('X secret #0 must be at least 32 characters long; it has 12.'),
    )
    expect(() => normalizeSecrets([], 'X')).toThrow(
      new TypeError('X needs a secret: a string, or a non-empty list of strings for key rotation.'),
    )
    expect(() => normalizeSecrets([NEW, 7], 'X')).toThrow(
      new TypeError('X secret #1 must be a string; got a number.'),
    )
  })
})

describe('constantTimeEqual', () => {
  it('compares strings of any length', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true)
    expect(constantTimeEqual('abc', 'abd')).toBe(false)
    expect(constantTimeEqual('abc', 'abcd')).toBe(false)
    expect(constantTimeEqual('', '')).toBe(true)
  })
})

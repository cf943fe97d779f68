import { describe, expect, it } from 'vitest'
import { quoteValue } from './quote-value.js'

describe('quoteValue', () => {
  const cyclic: Record<string, unknown> = {}
  cyclic.self = cyclic

  it.each([
    ['a string', 'chat "lobby"', '"chat \\"lobby\\""'],
    ['a number', 42, '42'],
    ['NaN', Number.NaN, 'NaN'],
    ['a bigint', 10n, '10'],
    ['a symbol', Symbol('x'), 'Symbol(x)'],
    ['undefined', undefined, 'undefined'],
    ['null', null, 'null'],
    ['an object', { a: [1, 'b'] }, '{"a":[1,"b"]}'],
    ['a named function', function handler() {}, 'function handler'],
    [
      'an anonymous function',
      Object.defineProperty(() => {}, 'name', { value: '' }),
      'function (anonymous)',
    ],
    ['binary data', new Uint8Array(3), 'a Uint8Array of 3 bytes'],
    ['a Buffer', Buffer.from('abcd'), 'a Uint8Array of 4 bytes'],
    ['a cyclic object', cyclic, '[object Object]'],
  ])('quotes %s', (_label, value, quoted) => {
    expect(quoteValue(value)).toBe(quoted)
  })

  it('cuts a quotation at 120 characters', () => {
    expect(quoteValue('x'.repeat(118))).toBe(`"${'x'.repeat(118)}"`)
    expect(quoteValue('x'.repeat(119))).toBe(`"${'x'.repeat(116)}...`)
  })
})

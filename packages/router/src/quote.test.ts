import { describe, expect, it } from 'vitest'
import { describe as describeValue, quote } from './quote.js'

describe('quote', () => {
  it.each([
    ['aprs', "'aprs'"],
    ['', "''"],
    ["it's", "'it\\'s'"],
    ['say "hi"', `'say "hi"'`],
    ['a\\b', "'a\\\\b'"],
    ['line\nbreak\u0000', "'line\\nbreak\\u0000'"],
  ])('quotes %j as Python repr() would, safely', (value, expected) => {
    expect(quote(value)).toBe(expected)
  })
})

describe('describe', () => {
  it('describes any value for a message', () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expect(describeValue('x')).toBe("'x'")
    expect(describeValue(42)).toBe('42')
    expect(describeValue(null)).toBe('null')
    expect(describeValue(undefined)).toBe('undefined')
    expect(describeValue(Symbol('s'))).toBe('Symbol(s)')
    expect(describeValue(10n)).toBe('10')
    expect(describeValue(function consumer() {})).toBe("function 'consumer'")
    expect(describeValue({ a: [1] })).toBe('{"a":[1]}')
    expect(describeValue(cyclic)).toBe('[object Object]')
  })
})

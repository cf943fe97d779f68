import { describe, expect, it } from 'vitest'
import { sharedHeaderName, sharedHeaderPair } from './shared-strings.js'

describe('sharedHeaderPair', () => {
  it('shares one frozen pair for a repeated header value, and freezes a pair of its own otherwise', () => {
    const first = sharedHeaderPair('upgrade', ['web', 'socket'].join(''))
    const second = sharedHeaderPair('upgrade', 'websocket')
    expect(second).toBe(first)
    expect(first).toEqual(['upgrade', 'websocket'])
    expect(Object.isFrozen(first)).toBe(true)
    const key = sharedHeaderPair('sec-websocket-key', 'dGhlIHNhbXBsZSBub25jZQ==')
    expect(sharedHeaderPair('sec-websocket-key', 'dGhlIHNhbXBsZSBub25jZQ==')).not.toBe(key)
    expect(Object.isFrozen(key)).toBe(true)
    expect(() => {
      ;(key as string[])[1] = 'changed'
    }).toThrow(TypeError)
  })
})

describe('sharedHeaderName', () => {
  it('lower-cases a field name however it is spelled, sharing one copy of a common name', () => {
    const first = sharedHeaderName(['Sec-WebSocket-', 'Key'].join(''))
    expect(first).toBe('sec-websocket-key')
    // The same spelling again, and another spelling, give the very same string.
    expect(sharedHeaderName(['Sec-WebSocket-', 'Key'].join(''))).toBe(first)
    expect(sharedHeaderName('SEC-WEBSOCKET-KEY')).toBe(first)
    expect(sharedHeaderName('sec-websocket-key')).toBe(first)
    expect(sharedHeaderName('X-Custom-Thing')).toBe('x-custom-thing')
  })

  it('lower-cases every spelling of a common name even once its spelling table is full', () => {
    // 2^6 spellings of "accept" and 2^6 of "pragma" (and more) fill the table's 256 places.
    const spell = (name: string, bits: number): string =>
      [...name].map((c, i) => ((bits >> i) & 1 ? c.toUpperCase() : c)).join('')
    for (const name of ['accept', 'pragma', 'origin', 'cookie', 'upgrade']) {
      for (let bits = 0; bits < 2 ** name.length; bits++) {
        expect(sharedHeaderName(spell(name, bits))).toBe(name)
      }
    }
  })
})

import { describe, expect, it } from 'vitest'
import { sharedHeaderPair } from './shared-strings.js'

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

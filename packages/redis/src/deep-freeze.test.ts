import { describe, expect, it } from 'vitest'
import { freezeMessage, sharedCopies } from './deep-freeze.js'

describe('freezeMessage', () => {
  it('freezes the message and every object and array inside it', () => {
    const message = { type: 'chat.message', user: { name: 'ann', tags: ['a', { deep: [1] }] } }
    expect(freezeMessage(message)).toBe(true)
    expect(Object.isFrozen(message)).toBe(true)
    expect(Object.isFrozen(message.user)).toBe(true)
    expect(Object.isFrozen(message.user.tags)).toBe(true)
    expect(Object.isFrozen(message.user.tags[1])).toBe(true)
    expect(() => {
      ;(message.user.tags as unknown[]).push('b')
    }).toThrow(TypeError)
  })

  it('freezes nothing and returns false when the message holds binary data', () => {
    const message = { type: 'file.chunk', meta: { name: 'a' }, parts: [new Uint8Array([1, 2])] }
    expect(freezeMessage(message)).toBe(false)
    expect(Object.isFrozen(message)).toBe(false)
    expect(Object.isFrozen(message.meta)).toBe(false)
    expect(Object.isFrozen(message.parts)).toBe(false)
  })

  it('refuses a message nested deeper than the codec allows', () => {
    let nested: Record<string, unknown> = {}
    const message = { type: 'deep', nested }
    for (let depth = 0; depth < 150; depth++) {
      const inner = {}
      nested.inner = inner
      nested = inner
    }
    expect(() => freezeMessage(message)).toThrow(
      'A message to freeze is nested deeper than 100 levels.',
    )
  })
})

describe('sharedCopies', () => {
  it('gives every receiver the same frozen object', () => {
    const message = { type: 'chat.message', payload: { items: ['a'] } }
    const copyFor = sharedCopies(message)
    expect(copyFor(0)).toBe(message)
    expect(copyFor(7)).toBe(message)
    expect(Object.isFrozen(message.payload.items)).toBe(true)
  })

  it('gives each receiver its own unfrozen copy of a message with binary data', () => {
    const message = { type: 'file.chunk', data: new Uint8Array([1, 2, 3]) }
    const copyFor = sharedCopies(message)
    const first = copyFor(0)
    const second = copyFor(1)
    expect(first).toBe(message)
    expect(second).not.toBe(message)
    expect(second).toEqual(message)
    ;(second.data as Uint8Array)[0] = 9
    expect(message.data[0]).toBe(1)
  })
})

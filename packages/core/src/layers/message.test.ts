import { describe, expect, it } from 'vitest'
import type { Message } from '../types.js'
import {
  copyAgain,
  copyKindOf,
  copyMessage,
  copyPlainTree,
  requireLayerMessage,
} from './message.js'

// Channels asserts `isinstance(message, dict)` and `"__asgi_channel__" not in message`; here
// each refusal is a TypeError that says what was wrong.

describe('requireLayerMessage', () => {
  it.each<[label: string, value: unknown, message: string]>([
    ['a string', 'chat.message', 'A channel layer message must be an object, not "chat.message".'],
    ['a number', 42, 'A channel layer message must be an object, not 42.'],
    ['null', null, 'A channel layer message must be an object, not null.'],
    ['undefined', undefined, 'A channel layer message must be an object, not undefined.'],
    [
      'an array',
      [{ type: 'a.b' }],
      'A channel layer message must be an object, not [{"type":"a.b"}].',
    ],
    [
      'no type',
      { text: 'hi' },
      'A channel layer message must have a string "type", not undefined.',
    ],
    ['a numeric type', { type: 7 }, 'A channel layer message must have a string "type", not 7.'],
    ['a null type', { type: null }, 'A channel layer message must have a string "type", not null.'],
    [
      'the reserved key',
      { type: 'a.b', __asgi_channel__: 'x' },
      'A channel layer message must not contain the reserved key "__asgi_channel__".',
    ],
  ])('refuses %s', (_label, value, message) => {
    expect(() => requireLayerMessage(value)).toThrow(new TypeError(message))
  })

  it('returns a valid message unchanged, the same object', () => {
    const message = { type: 'chat.message', text: 'hi' }
    expect(requireLayerMessage(message)).toBe(message)
  })

  it('ignores a reserved key inherited through the prototype, which is never copied', () => {
    const inherited = Object.create({ __asgi_channel__: 'x' }) as Message
    inherited.type = 'a.b'
    expect(requireLayerMessage(inherited)).toBe(inherited)
    expect(Object.keys(copyMessage(inherited))).toEqual(['type'])
  })
})

describe('copyMessage', () => {
  it('returns an equal deep copy that shares nothing with the original', () => {
    const original = { type: 'a.b', nested: { list: [1, { deep: true }] } }
    const copy = copyMessage(original)
    expect(copy).toEqual(original)
    expect(copy.nested).not.toBe(original.nested)
    original.nested.list.push(2)
    expect(copy.nested).toEqual({ list: [1, { deep: true }] })
  })

  it('copies binary data as a Uint8Array with its own bytes', () => {
    const bytes = Uint8Array.from([1, 2, 3])
    const copy = copyMessage({ type: 'a.b', bytes, buffer: Buffer.from([4, 5]) })
    expect(copy.bytes).toBeInstanceOf(Uint8Array)
    expect(copy.bytes).not.toBe(bytes)
    expect([...(copy.bytes as Uint8Array)]).toEqual([1, 2, 3])
    expect(copy.buffer).toBeInstanceOf(Uint8Array)
    expect([...(copy.buffer as Uint8Array)]).toEqual([4, 5])
  })

  it.each<[label: string, message: Message, detail: string]>([
    ['a function', { type: 'a.b', callback: () => 1 }, 'message.callback is a function'],
    [
      'a nested symbol',
      { type: 'a.b', data: [1, { 'odd key': Symbol('s') }] },
      'message.data[1]["odd key"] is a symbol',
    ],
    [
      'a method',
      { type: 'a.b', user: { name: 'x', save() {} } },
      'message.user.save is a function',
    ],
  ])('says where %s is', (_label, message, detail) => {
    expect(() => copyMessage(message)).toThrow(
      new TypeError(
        `A channel layer message must contain only serialisable values, but ${detail}.`,
      ),
    )
  })

  it('explains a copy that failed for another reason, keeping the cause', () => {
    const message: Message = { type: 'a.b' }
    Object.defineProperty(message, 'secret', {
      enumerable: true,
      get() {
        throw new Error('no peeking')
      },
    })
    let error: unknown
    try {
      copyMessage(message)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(TypeError)
    expect((error as TypeError).message).toBe(
      'A channel layer message must contain only serialisable values, but it could not be copied (no peeking).',
    )
    expect((error as TypeError).cause).toEqual(new Error('no peeking'))
  })
})

describe('copyKindOf / copyAgain', () => {
  /** `depth` objects nested in one another under `type`. */
  function nested(depth: number): Message {
    let inner: Record<string, unknown> = { leaf: true }
    for (let index = 0; index < depth; index++) inner = { inner }
    return { type: 'a.b', inner }
  }

  /** [1, <hole>, 3] */
  function sparse(): unknown[] {
    const list: unknown[] = [1, 2, 3]
    delete list[1]
    return list
  }

  it.each<[label: string, message: Message, kind: string]>([
    ['primitives only', { type: 'a.b', text: 'hi', n: 1, none: null, big: 1n }, 'flat'],
    ['plain objects and dense arrays', { type: 'a.b', list: [1, { x: [] }], obj: {} }, 'tree'],
    ['32 levels of nesting', nested(31), 'tree'],
    ['deeper nesting', nested(40), 'clone'],
    [
      'over 1,000 objects',
      { type: 'a.b', list: Array.from({ length: 1000 }, () => ({})) },
      'clone',
    ],
    ['binary data', { type: 'a.b', bytes: new Uint8Array(2) }, 'clone'],
    ['a Date', { type: 'a.b', at: new Date(0) }, 'clone'],
    ['a sparse array', { type: 'a.b', list: sparse() }, 'clone'],
  ])('copies %s as %s, equal to structuredClone', (_label, message, kind) => {
    const first = copyMessage(message)
    expect(copyKindOf(first)).toBe(kind)
    const again = copyAgain(first, copyKindOf(first))
    expect(again).toEqual(structuredClone(message))
    expect(again).not.toBe(first)
  })
})

describe('copyPlainTree', () => {
  it('copies every object, array and byte array of the tree, "__proto__" keys as keys', () => {
    const bytes = new Uint8Array([1, 2, 3])
    const tree = JSON.parse('{"a":[{"b":1}],"__proto__":{"c":2}}') as Record<string, unknown>
    tree.bytes = bytes
    const copy = copyPlainTree(tree) as Record<string, unknown>
    expect(copy).toEqual(tree)
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype)
    expect(Object.hasOwn(copy, '__proto__')).toBe(true)
    expect(copy.a).not.toBe(tree.a)
    expect((copy.a as object[])[0]).not.toBe((tree.a as object[])[0])
    expect(copy.bytes).not.toBe(bytes)
    bytes[0] = 9
    expect(copy.bytes).toEqual(new Uint8Array([1, 2, 3]))
  })
})

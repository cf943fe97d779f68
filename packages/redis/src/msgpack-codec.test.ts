import { DecodeError } from '@msgpack/msgpack'
import { describe, expect, it } from 'vitest'
import { decodeMessage, encodeMessage } from './msgpack-codec.js'

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

// msgpack.packb(message, use_bin_type=True).hex() from Python's msgpack 1.0.3 for TYPED.
const PYTHON_TYPED =
  'de0012a474797065a87461736b2e72756ea3696e7401a36e6567ffa3753332ceffffffffa3753634cf0000000100000000' +
  'a3626967cf0000010000000000a3693332d280000000a3693634d3ffffffff7fffffffa36d6178cfffffffffffffffff' +
  'a36d696ed38000000000000000a468756765cf0020000000000001a5666c6f6174cb3ff8000000000000a46e6f6e65c0' +
  'a4626f6f6cc3a56279746573c4020001a46c6973749201a161a7756e69636f6465aa68c3a9e29883f09d849e' +
  'a66e657374656481a1789181a179c400'
const TYPED = {
  type: 'task.run',
  int: 1,
  neg: -1,
  u32: 2 ** 32 - 1,
  u64: 2 ** 32,
  big: 2 ** 40,
  i32: -(2 ** 31),
  i64: -(2 ** 31) - 1,
  max: 2n ** 64n - 1n,
  min: -(2n ** 63n),
  huge: 2n ** 53n + 1n,
  float: 1.5,
  none: null,
  bool: true,
  bytes: new Uint8Array([0, 1]),
  list: [1, 'a'],
  unicode: 'hé☃𝄞',
  nested: { x: [{ y: new Uint8Array(0) }] },
}

describe('encodeMessage', () => {
  // channels_redis tests/test_core.py::test_serialize (after the 12-byte prefix)
  it('writes the bytes channels_redis writes for a simple message', () => {
    expect(hex(encodeMessage({ a: true, b: null, c: { d: [] } }))).toBe(
      '83a161c3a162c0a16381a16490',
    )
  })

  it("writes every supported type exactly as Python's msgpack does", () => {
    expect(hex(encodeMessage(TYPED))).toBe(PYTHON_TYPED)
  })

  it('gives small bigints their smallest encoding and drops undefined keys, as JSON does', () => {
    expect(hex(encodeMessage({ a: 5n, b: undefined, c: -0 }))).toBe('82a16105a16300')
  })

  it('writes a message that needs no conversion as it is, with the same bytes', () => {
    expect(hex(encodeMessage({ a: undefined, b: -0, c: [1.5, 'x'], d: 2 ** 31 - 1 }))).toBe(
      '83a16200a16392cb3ff8000000000000a178a164ce7fffffff',
    )
  })

  it('writes non-integers and unsafe integers as float64, like a Python float', () => {
    expect(hex(encodeMessage([0.5, 2 ** 53 + 2]))).toBe('92cb3fe0000000000000cb4340000000000001')
  })

  it('replaces lone surrogates, which Python could not decode', () => {
    expect(decodeMessage(encodeMessage({ text: 'a\ud800b' }))).toEqual({ text: 'a\ufffdb' })
  })

  it.each([
    [
      { when: new Date(0) },
      'A channel layer message must contain only plain objects, arrays, strings, numbers, bigints, booleans, null and Uint8Array, not a Date (at message.when).',
    ],
    [
      { set: [new Set()] },
      'A channel layer message must contain only plain objects, arrays, strings, numbers, bigints, booleans, null and Uint8Array, not a Set (at message.set[0]).',
    ],
    [
      { 'a key': new Map() },
      'A channel layer message must contain only plain objects, arrays, strings, numbers, bigints, booleans, null and Uint8Array, not a Map (at message["a key"]).',
    ],
    [
      { buffer: new ArrayBuffer(1) },
      'A channel layer message must contain only plain objects, arrays, strings, numbers, bigints, booleans, null and Uint8Array, not a ArrayBuffer (at message.buffer).',
    ],
    [
      { f: () => 1 },
      'A channel layer message must contain only plain objects, arrays, strings, numbers, bigints, booleans, null and Uint8Array, not a function (at message.f).',
    ],
    [
      { n: 2n ** 64n },
      'A channel layer message must hold integers that fit in 64 bits, not 18446744073709551616 (at message.n).',
    ],
  ])('refuses %o with a TypeError naming where it is', (message, error) => {
    expect(() => encodeMessage(message)).toThrow(new TypeError(error))
  })

  it('refuses nesting deeper than 100 levels', () => {
    let deep: unknown = 1
    for (let level = 0; level < 101; level++) deep = [deep]
    expect(() => encodeMessage(deep)).toThrow(
      new TypeError(
        `A channel layer message must not be nested deeper than 100 levels (at message${'[0]'.repeat(100)}).`,
      ),
    )
  })
})

describe('decodeMessage', () => {
  // channels_redis tests/test_core.py::test_deserialize (after the 12-byte prefix)
  it('reads what channels_redis writes', () => {
    expect(decodeMessage(Buffer.from('83a161c3a162c0a16381a16490', 'hex'))).toEqual({
      a: true,
      b: null,
      c: { d: [] },
    })
  })

  it("reads every type Python's msgpack writes; 64-bit integers stay exact", () => {
    const decoded = decodeMessage(Buffer.from(PYTHON_TYPED, 'hex')) as Record<string, unknown>
    expect(decoded).toEqual({
      ...TYPED,
      max: 2n ** 64n - 1n,
      min: -(2n ** 63n),
      huge: 2n ** 53n + 1n,
    })
    expect(decoded.big).toBe(2 ** 40)
    expect(decoded.bytes).toBeInstanceOf(Uint8Array)
  })

  it('copies bytes out of the input buffer', () => {
    const input = Buffer.from('81a162c401ff', 'hex')
    const decoded = decodeMessage(input) as { b: Uint8Array }
    input.fill(0)
    expect([...decoded.b]).toEqual([255])
  })

  it('turns bytes and integer map keys into strings', () => {
    // Python: msgpack.packb({b"k": 1, 7: 2}, use_bin_type=True)
    expect(decodeMessage(Buffer.from('82c4016b010702', 'hex'))).toEqual({ k: 1, '7': 2 })
  })

  it.each([
    ['garbage', 'c1', 'Unrecognized type byte: 0xc1'],
    ['trailing bytes', '0101', 'Extra 1 of 2 byte(s) found at buffer[1]'],
    ['a __proto__ key', '81a95f5f70726f746f5f5f01', 'The key __proto__ is not allowed'],
    [
      'a __proto__ bytes key',
      '81c4095f5f70726f746f5f5f01',
      'The map key "__proto__" is not allowed.',
    ],
    ['a nil map key', '81c001', 'A map key has the unsupported type nil.'],
    [
      'a timestamp extension',
      'd6ff00000000',
      'The message holds a msgpack extension type, which channels_redis never writes.',
    ],
  ])('refuses %s', (_name, bytes, message) => {
    expect(() => decodeMessage(Buffer.from(bytes, 'hex'))).toThrow(message)
  })

  it('throws DecodeError for foreign bytes', () => {
    expect(() => decodeMessage(Buffer.from('81c001', 'hex'))).toThrow(DecodeError)
  })
})

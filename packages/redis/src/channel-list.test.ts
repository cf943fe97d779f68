import { describe, expect, it } from 'vitest'
import { encodeChannelList } from './channel-list.js'
import { encodeMessage } from './msgpack-codec.js'

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const utf8 = (names: string[]) => names.map((name) => Buffer.from(name))

describe('encodeChannelList', () => {
  it.each([
    ['no names', []],
    ['short names (fixstr)', ['a', 'specific.abc!1']],
    ['74-character names (str8)', [`specific.${'a'.repeat(32)}!${'b'.repeat(32)}`]],
    ['non-ASCII names', ['chat٣', 'g-ü-1']],
    ['a 300-byte name (str16)', ['x'.repeat(300)]],
    ['16 names (array16)', Array.from({ length: 16 }, (_, index) => `c${index}`)],
    ['70 000 names', Array.from({ length: 70_000 }, (_, index) => `c${index}`)],
  ])('writes what encodeMessage writes for %s', (_label, names) => {
    expect(hex(encodeChannelList(utf8(names)))).toBe(hex(encodeMessage(names)))
  })

  it('writes U+FFFD for bytes that are not UTF-8, as decoding them would', () => {
    const broken = Buffer.from([0x61, 0xff, 0x62])
    expect(hex(encodeChannelList([broken]))).toBe(hex(encodeMessage([broken.toString()])))
    expect(broken.toString()).toBe('a\ufffdb')
  })
})

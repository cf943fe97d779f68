import { describe, expect, it } from 'vitest'
import { splitAsgiChannel } from './asgi-channel.js'
import { ChannelListCache } from './channel-list-cache.js'
import { encodeMessage } from './msgpack-codec.js'

const stored = (channels: string | string[], n = 1) =>
  encodeMessage({ type: 'chat.message', n, __asgi_channel__: channels }).slice()

describe('ChannelListCache', () => {
  it('gives back the names kept for equal bytes, and nothing for other bytes', () => {
    const cache = new ChannelListCache()
    cache.set(Buffer.from('abc'), ['a', 'b'])
    expect(cache.get(Buffer.from('abc'))).toEqual(['a', 'b'])
    expect(cache.get(Buffer.from('abd'))).toBeUndefined()
    expect(cache.get(Buffer.from('ab'))).toBeUndefined()
  })

  it('keeps a copy of the bytes and a frozen copy of the names', () => {
    const cache = new ChannelListCache()
    const bytes = Buffer.from('abc')
    const names = ['a']
    cache.set(bytes, names)
    bytes[0] = 0x7a
    names.push('b')
    expect(cache.get(Buffer.from('abc'))).toEqual(['a'])
    expect(Object.isFrozen(cache.get(Buffer.from('abc')))).toBe(true)
  })

  it('replaces the oldest of its 8 lists', () => {
    const cache = new ChannelListCache()
    for (let index = 0; index < 9; index++) cache.set(Buffer.from(`list${index}`), [`${index}`])
    expect(cache.get(Buffer.from('list0'))).toBeUndefined()
    for (let index = 1; index < 9; index++)
      expect(cache.get(Buffer.from(`list${index}`))).toEqual([`${index}`])
  })
})

describe('splitAsgiChannel with a ChannelListCache', () => {
  it('splits as without it, and decodes an unchanged list once', () => {
    const cache = new ChannelListCache()
    const names = ['specific.a!1', 'specific.a!2']
    const first = splitAsgiChannel(stored(names, 1), cache)
    const second = splitAsgiChannel(stored(names, 2), cache)
    expect(first).toEqual(splitAsgiChannel(stored(names, 1)))
    expect(second).toEqual(splitAsgiChannel(stored(names, 2)))
    // The same names, not decoded again.
    expect(second?.channels).toBe(first?.channels)
  })

  it('decodes a changed list, and leaves single names alone', () => {
    const cache = new ChannelListCache()
    const before = splitAsgiChannel(stored(['specific.a!1', 'specific.a!2']), cache)
    const after = splitAsgiChannel(stored(['specific.a!1', 'specific.a!3']), cache)
    expect(after?.channels).toEqual(['specific.a!1', 'specific.a!3'])
    expect(after?.channels).not.toBe(before?.channels)
    expect(splitAsgiChannel(stored('specific.a!1'), cache)?.channels).toBe('specific.a!1')
    expect(cache.get(Buffer.from(encodeMessage('specific.a!1')))).toBeUndefined()
  })
})

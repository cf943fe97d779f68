import { describe, expect, it } from 'vitest'
import { CapacityTable, globToRegExp } from './capacity.js'

// Channels compiles `channel_capacity` keys with `fnmatch.translate` and takes the first match.

describe('globToRegExp', () => {
  it.each<[glob: string, matches: string[], misses: string[]]>([
    [
      'http.response!*',
      ['http.response!', 'http.response!abc'],
      ['http.responseX!a', 'http.response'],
    ],
    ['*', ['', 'anything.at.all!x'], []],
    ['chat-?', ['chat-1', 'chat-x'], ['chat-', 'chat-12']],
    ['a.b', ['a.b'], ['axb', 'a.bc']],
    ['[abc]x', ['ax', 'cx'], ['dx', 'x', 'abx']],
    ['[!abc]x', ['dx', '.x'], ['ax', 'x']],
    ['[a-c]1', ['b1'], ['d1']],
    ['[^a]', ['^', 'a'], ['b']],
    ['[]]', [']'], ['a']],
    ['[!]]', ['a'], [']']],
    ['[]a]', [']', 'a'], ['b']],
    ['a[', ['a['], ['a', 'ab']],
    ['[!]', ['[!]'], ['a']],
    ['a+b(c)|{d}$^', ['a+b(c)|{d}$^'], ['aab(c)|{d}$^', 'ab']],
    ['specific.*!*', ['specific..inmemory!abc'], ['specific.x']],
  ])('%j matches %j and misses %j', (glob, matches, misses) => {
    const pattern = globToRegExp(glob)
    for (const name of matches) expect(pattern.test(name), name).toBe(true)
    for (const name of misses) expect(pattern.test(name), name).toBe(false)
  })

  it('anchors both ends and lets * cross newlines, as fnmatch.translate does', () => {
    expect(globToRegExp('a.*').source).toBe('^a\\..*$')
    expect(globToRegExp('a.*').flags).toBe('s')
    expect(globToRegExp('a*').test('a\nb')).toBe(true)
  })

  it('refuses a glob whose set cannot be compiled', () => {
    expect(() => globToRegExp('[z-a]')).toThrow(
      new TypeError('Invalid channel capacity glob "[z-a]".'),
    )
  })
})

describe('CapacityTable', () => {
  it('returns the fallback when nothing matches or no patterns are given', () => {
    expect(new CapacityTable(100).get('anything')).toBe(100)
    expect(new CapacityTable(7, { 'http.*': 1 }).get('websocket.send')).toBe(7)
  })

  it('takes the first matching entry of an object, in insertion order', () => {
    const table = new CapacityTable(100, { 'http.response!*': 1, 'http.*': 5 })
    expect(table.get('http.response!abc')).toBe(1)
    expect(table.get('http.request')).toBe(5)
  })

  it('takes the first matching entry of a list, mixing globs and RegExps', () => {
    const table = new CapacityTable(100, [
      [/^http\.response!/, 2],
      ['http.*', 5],
      [/disconnect$/i, 9],
    ])
    expect(table.get('http.response!x')).toBe(2)
    expect(table.get('http.disconnect')).toBe(5)
    expect(table.get('websocket.DISCONNECT')).toBe(9)
  })

  it('does not change the RegExp it was given', () => {
    const pattern = /^chat\./g
    const table = new CapacityTable(100, [[pattern, 3]])
    expect(table.get('chat.a')).toBe(3)
    expect(table.get('chat.b')).toBe(3)
    expect(pattern.lastIndex).toBe(0)
    expect(pattern.flags).toBe('g')
  })
})

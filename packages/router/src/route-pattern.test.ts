import { describe, expect, it } from 'vitest'
import { compilePathRoute, compileRegexRoute } from './route-pattern.js'

describe('compilePathRoute', () => {
  it.each([
    // route, path, endpoint, expected match
    ['', '', true, { remaining: '', args: [], kwargs: {} }],
    ['', 'foo/', true, null],
    ['', 'foo/', false, { remaining: 'foo/', args: [], kwargs: {} }],
    ['foo/', 'foo/', true, { remaining: '', args: [], kwargs: {} }],
    ['foo/', 'foo', true, null],
    ['foo', 'foo/', true, null],
    ['foo/', 'FOO/', true, null],
    ['prefix/', 'prefix/stuff/', false, { remaining: 'stuff/', args: [], kwargs: {} }],
    ['prefix/', 'prefix', false, null],
    [
      'number/:n/',
      'number/42/test/3/',
      false,
      { remaining: 'test/3/', args: [], kwargs: { n: '42' } },
    ],
    ['chat/:room/', 'chat/a b/', true, { remaining: '', args: [], kwargs: { room: 'a b' } }],
    ['chat/:room/', 'chat/a/b/', true, null],
    ['files/*rest', 'files/a/b/c', true, { remaining: '', args: [], kwargs: { rest: 'a/b/c' } }],
    ['items{/:id}/', 'items/', true, { remaining: '', args: [], kwargs: {} }],
    ['items{/:id}/', 'items/5/', true, { remaining: '', args: [], kwargs: { id: '5' } }],
    ['/ws/:id', 'ws/7', true, { remaining: '', args: [], kwargs: { id: '7' } }],
  ])('%j against %j (endpoint %s)', (route, path, endpoint, expected) => {
    expect(compilePathRoute(route).match(path, endpoint)).toEqual(expected)
  })

  it('never decodes a value a second time, so a stray % cannot throw', () => {
    const pattern = compilePathRoute('kwarg/:name/')
    expect(pattern.match('kwarg/a%20b/', true)?.kwargs).toEqual({ name: 'a%20b' })
    expect(pattern.match('kwarg/%E0%A4%A/', true)?.kwargs).toEqual({ name: '%E0%A4%A' })
  })

  it('keeps a parameter named __proto__ as data', () => {
    const kwargs = compilePathRoute(':__proto__/').match('x/', true)?.kwargs
    expect(Object.getPrototypeOf(kwargs)).toBe(Object.prototype)
    expect(Object.entries(kwargs ?? {})).toEqual([['__proto__', 'x']])
  })
})

describe('compileRegexRoute', () => {
  it.each([
    // Search semantics unless an endpoint pattern ends with $.
    [/bar/, 'foobar/zzz', true, { remaining: '/zzz', args: [], kwargs: {} }],
    [/^a\//, 'a/b/c', true, { remaining: 'b/c', args: [], kwargs: {} }],
    [/^a\/$/, 'a/b', true, null],
    [/^a\/$/, 'a/', true, { remaining: '', args: [], kwargs: {} }],
    // Fullmatch, not "$ before a newline", even with the m flag.
    [/^a\/$/m, 'a/\nb', true, null],
    // A nested (prefix) pattern is always searched for.
    [/^test\/(\d+)\/$/, 'test/3/', false, { remaining: '', args: ['3'], kwargs: {} }],
    // Named groups win; unnamed ones are dropped, unmatched named ones left out.
    [/^(?<a>\w+)\/(\d+)\/$/, 'abc/12/', true, { remaining: '', args: [], kwargs: { a: 'abc' } }],
    [/^(?<a>\w+)\/(?<b>\d+)?$/, 'abc/', true, { remaining: '', args: [], kwargs: { a: 'abc' } }],
    // Without named groups, an unmatched group keeps its place as ''.
    [/^(\d+)?\/(\w+)\/$/, '/abc/', true, { remaining: '', args: ['', 'abc'], kwargs: {} }],
    ['^posarg/(\\d+)/$', 'posarg/123/', true, { remaining: '', args: ['123'], kwargs: {} }],
    // The g and y flags are dropped: no lastIndex state between matches.
    [/b/gy, 'ab', true, { remaining: '', args: [], kwargs: {} }],
  ])('%s against %j (endpoint %s)', (regex, path, endpoint, expected) => {
    expect(compileRegexRoute(regex).match(path, endpoint)).toEqual(expected)
  })

  it('gives the same answer on every call', () => {
    const pattern = compileRegexRoute(/^(?<id>\d+)$/g)
    for (let i = 0; i < 3; i += 1) {
      expect(pattern.match('12', true)).toEqual({ remaining: '', args: [], kwargs: { id: '12' } })
    }
  })
})

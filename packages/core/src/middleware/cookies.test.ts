import { describe, expect, it } from 'vitest'
import type { Message } from '../types.js'
import { deleteCookie, parseCookie, setCookie } from './cookies.js'

const start = (): Message => ({ type: 'http.response.start', status: 200 })
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0)

describe('parseCookie', () => {
  // Django's tests/httpwrappers CookieTests, which copy Python's own cookie tests.
  it.each([
    ['chips=ahoy; vienna=finger', { chips: 'ahoy', vienna: 'finger' }],
    [
      'keebler="E=mc2; L=\\"Loves\\"; fudge=\\012;"',
      { keebler: '"E=mc2', L: '\\"Loves\\"', fudge: '\\012', '': '"' },
    ],
    ['keebler=E=mc2', { keebler: 'E=mc2' }],
    ['key:term=value:term', { 'key:term': 'value:term' }],
    ['a=b; c=[; d=r; f=h', { a: 'b', c: '[', d: 'r', f: 'h' }],
    ['a=b; Domain=example.com', { a: 'b', Domain: 'example.com' }],
    ['a=b; h=i; a=c', { a: 'c', h: 'i' }],
    ['a=b; "; c=d', { a: 'b', '': '"', c: 'd' }],
    ['a b c=d e = f; gh=i', { 'a b c': 'd e = f', gh: 'i' }],
    ['a   b,c<>@:/[]?{}=d  "  =e,f g', { 'a   b,c<>@:/[]?{}': 'd  "  =e,f g' }],
    ['saint=André Bessette', { saint: 'André Bessette' }],
    ['  =  b  ;  ;  =  ;   c  =  ;  ', { '': 'b', c: '' }],
  ])('parses %j as Django does', (header, expected) => {
    expect({ ...parseCookie(header) }).toEqual(expected)
  })

  it('keeps a chunk without "=" as an unnamed value', () => {
    expect(parseCookie('abc=def; unnamed; django_language=en').django_language).toBe('en')
  })

  it("unquotes quoted values with Python's escapes (octal and backslash)", () => {
    expect({ ...parseCookie('a="x\\073y"; b="q\\"w"; c=""; d="\\4"') }).toEqual({
      a: 'x;y',
      b: 'q"w',
      c: '',
      d: '4',
    })
  })

  it("strips what Python's str.strip() strips, including \\x1c and NBSP", () => {
    expect({ ...parseCookie('\x1c a=b \xa0') }).toEqual({ a: 'b' })
  })

  it('never throws on garbage and keeps control characters as data', () => {
    expect({ ...parseCookie('\x00\x01=\x02') }).toEqual({ '\x00\x01': '\x02' })
    expect({ ...parseCookie(';;;===;"";\\') }).toEqual({ '': '\\' })
    expect({ ...parseCookie('') }).toEqual({})
    expect(Object.keys(parseCookie('x=1;'.repeat(10_000)))).toEqual(['x'])
  })

  it('treats __proto__, constructor and prototype as plain cookie names', () => {
    const cookies = parseCookie('__proto__=evil; constructor=x; prototype=y')
    expect(Object.getPrototypeOf(cookies)).toBe(null)
    expect(Object.keys(cookies)).toEqual(['__proto__', 'constructor', 'prototype'])
    expect(Object.getOwnPropertyDescriptor(cookies, '__proto__')?.value).toBe('evil')
    expect(({} as Record<string, unknown>).evil).toBeUndefined()
    expect(parseCookie('a=b').constructor).toBeUndefined()
  })
})

describe('setCookie', () => {
  it("writes Django's format (test_set_cookie)", () => {
    const message: Message = { type: 'http.response.start' }
    setCookie(message, 'Testing-Key', 'testing-value')
    expect(message).toEqual({
      type: 'http.response.start',
      headers: [['set-cookie', 'Testing-Key=testing-value; Path=/; SameSite=lax']],
    })
  })

  it('appends to existing headers and writes every attribute in Python’s order', () => {
    const message: Message = { ...start(), headers: [['content-type', 'text/plain']] }
    setCookie(message, 'id', 'abc', {
      maxAgeMs: 3_600_500,
      domain: '.example.com',
      path: '/app',
      secure: true,
      httpOnly: true,
      sameSite: 'Strict',
      now: () => NOW,
    })
    expect(message.headers).toEqual([
      ['content-type', 'text/plain'],
      [
        'set-cookie',
        'id=abc; Domain=.example.com; expires=Thu, 01 Jan 2026 13:00:00 GMT; HttpOnly; Max-Age=3600; Path=/app; SameSite=Strict; Secure',
      ],
    ])
  })

  it('writes a given expiry verbatim, or a Date as an HTTP date, and can drop Path and SameSite', () => {
    const message = start()
    setCookie(message, 'a', '1', {
      expires: 'Fri, 02 Jan 2026 00:00:00 GMT',
      path: null,
      sameSite: null,
    })
    setCookie(message, 'b', '2', { expires: new Date(NOW), maxAgeMs: 10_000, sameSite: 'none' })
    setCookie(message, 'c', '')
    expect(message.headers).toEqual([
      ['set-cookie', 'a=1; expires=Fri, 02 Jan 2026 00:00:00 GMT'],
      [
        'set-cookie',
        'b=2; expires=Thu, 01 Jan 2026 12:00:00 GMT; Max-Age=10; Path=/; SameSite=none',
      ],
      ['set-cookie', 'c=""; Path=/; SameSite=lax'],
    ])
  })

  it('throws a TypeError quoting an invalid sameSite (test_session_samesite_invalid)', () => {
    expect(() => setCookie(start(), 'a', 'b', { sameSite: 'Hello' })).toThrow(
      new TypeError('Invalid sameSite "Hello": it must be "strict", "lax" or "none" (any case).'),
    )
  })

  it.each([
    ['a\r\nSet-Cookie: admin=1', 'Cookie value "a\\r\\nSet-Cookie: admin=1"'],
    ['x; Domain=evil.com', 'Cookie value "x; Domain=evil.com"'],
    ['with space', 'Cookie value "with space"'],
    ['quote"', 'Cookie value "quote\\""'],
    ['é', 'Cookie value "é"'],
  ])('refuses the header-injecting value %j', (value, quoted) => {
    expect(() => setCookie(start(), 'a', value)).toThrow(
      new TypeError(
        `${quoted} contains a character not allowed in a cookie; encode it first (for example with encodeURIComponent).`,
      ),
    )
  })

  it('refuses names that are not tokens, or are attribute names', () => {
    expect(() => setCookie(start(), 'a=b', 'c')).toThrow(
      new TypeError('Cookie name "a=b" is not a valid token.'),
    )
    expect(() => setCookie(start(), 'a\nb', 'c')).toThrow(
      new TypeError('Cookie name "a\\nb" is not a valid token.'),
    )
    expect(() => setCookie(start(), '', 'c')).toThrow(
      new TypeError('Cookie name "" is not a valid token.'),
    )
    expect(() => setCookie(start(), 'Path', 'c')).toThrow(
      new TypeError('Cookie name "Path" is a reserved cookie attribute name.'),
    )
  })

  it('refuses attribute values that could inject, and bad lifetimes', () => {
    expect(() => setCookie(start(), 'a', 'b', { path: '/; HttpOnly' })).toThrow(
      new TypeError(
        'Cookie path "/; HttpOnly" contains a character not allowed in a cookie attribute.',
      ),
    )
    expect(() => setCookie(start(), 'a', 'b', { domain: 'x.com\r\nX: y' })).toThrow(
      new TypeError(
        'Cookie domain "x.com\\r\\nX: y" contains a character not allowed in a cookie attribute.',
      ),
    )
    expect(() => setCookie(start(), 'a', 'b', { maxAgeMs: -1 })).toThrow(
      new RangeError('Cookie maxAgeMs must be a non-negative number of milliseconds; got -1.'),
    )
    expect(() => setCookie({ type: 'x', headers: 'nope' }, 'a', 'b')).toThrow(
      new TypeError(`Cannot add a cookie: the message's headers are not a list; got "nope".`),
    )
  })

  it('leaves the message untouched when it throws', () => {
    const message = start()
    expect(() => setCookie(message, 'a', 'b;c')).toThrow(TypeError)
    expect(() => setCookie(message, 'a', 'b', { sameSite: 'bogus' })).toThrow(TypeError)
    expect(() => setCookie(message, 'a', 'b', { path: '/\n' })).toThrow(TypeError)
    expect(message).toEqual(start())
  })
})

describe('deleteCookie', () => {
  it("writes Django's deletion (Max-Age=0, an expiry in 1970)", () => {
    const message = start()
    deleteCookie(message, 'sessionid', { domain: 'example.com', secure: true, sameSite: 'None' })
    expect(message.headers).toEqual([
      [
        'set-cookie',
        'sessionid=""; Domain=example.com; expires=Thu, 01-Jan-1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=None; Secure',
      ],
    ])
  })
})

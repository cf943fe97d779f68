import { describe, expect, it } from 'vitest'
import { isSameDomain, matchAllowedOrigin, parseUrl } from './origin-matching.js'

describe('parseUrl', () => {
  // Expected values printed by Python 3.11's urllib.parse.urlparse(value.lower()).
  it.each([
    ['localhost:8000', 'localhost', null, null],
    ['[::1]', null, null, null],
    ['allowed-domain.com', null, null, null],
    ['http://.allowed-domain.com', 'http', '.allowed-domain.com', null],
    ['HTTP://Allowed-Domain.com', 'http', 'allowed-domain.com', null],
    ['http://allowed-domain.com:80', 'http', 'allowed-domain.com', 80],
    ['http://a.com:99999', 'http', 'a.com', 'invalid'],
    ['http://a.com:abc', 'http', 'a.com', 'invalid'],
    ['http://a.com:+80', 'http', 'a.com', 'invalid'],
    ['http://user:pw@a.com', 'http', 'a.com', null],
    ['http://a.com/path', 'http', 'a.com', null],
    ['null', null, null, null],
    ['file://', 'file', null, null],
    ['http://a.com:', 'http', 'a.com', null],
    ['http://[::1]:8000', 'http', '::1', 8000],
    ['http://a.com.', 'http', 'a.com.', null],
    ['http:a.com', 'http', null, null],
    ['//a.com', null, 'a.com', null],
    [' http://a.com', 'http', 'a.com', null],
    ['http://[::1', 'http', null, null],
  ])('splits %j as Python does', (url, scheme, hostname, port) => {
    expect(parseUrl(url.toLowerCase())).toEqual({ scheme, hostname, port })
  })
})

describe('isSameDomain', () => {
  // Django's tests for django.http.request.is_same_domain.
  it.each([
    ['example.com', 'example.com', true],
    ['example.com', '.example.com', true],
    ['foo.example.com', '.example.com', true],
    ['example.com:8888', 'example.com:8888', true],
    ['foo.example.com:8888', '.example.com:8888', true],
    ['example.com', 'Example.COM', true],
    ['foo.example.com', 'example.com', false],
    ['example.com', 'example.com:8888', false],
    ['notexample.com', '.example.com', false],
    ['example.com.evil.com', '.example.com', false],
    ['example.com', '', false],
  ])('isSameDomain(%j, %j) is %s', (host, pattern, expected) => {
    expect(isSameDomain(host, pattern)).toBe(expected)
  })
})

describe('matchAllowedOrigin', () => {
  it('compares scheme, default ports and host for a pattern with a scheme', () => {
    const origin = parseUrl('https://example.com')
    expect(matchAllowedOrigin(origin, 'https://example.com:443')).toBe(true)
    expect(matchAllowedOrigin(origin, 'wss://example.com')).toBe(false)
    expect(matchAllowedOrigin(parseUrl('http://example.com:80'), 'http://example.com')).toBe(true)
    expect(matchAllowedOrigin(parseUrl('ws://example.com'), 'http://example.com')).toBe(false)
    expect(matchAllowedOrigin(parseUrl('chrome-extension://abc'), 'chrome-extension://abc')).toBe(
      true,
    )
  })

  it('refuses, rather than crashes, where Python raises for an invalid port', () => {
    expect(matchAllowedOrigin(parseUrl('http://example.com:99999'), 'http://example.com')).toBe(
      false,
    )
    expect(matchAllowedOrigin(parseUrl('http://example.com'), 'http://example.com:port')).toBe(
      false,
    )
    // A scheme-less pattern compares host names only, so Python never reads the port.
    expect(matchAllowedOrigin(parseUrl('http://example.com:99999'), 'example.com')).toBe(true)
  })

  it('never matches an origin without a host', () => {
    expect(matchAllowedOrigin(null, 'example.com')).toBe(false)
    expect(matchAllowedOrigin(parseUrl('null'), 'null')).toBe(false)
  })
})

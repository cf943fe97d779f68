import type { IncomingMessage } from 'node:http'
import { parseUrl } from '@node-channels/core'
import { describe, expect, it } from 'vitest'
import { checkOrigin, checkScopeOrigin, isSameOrigin } from './origin-check.js'

/** The parts of a request the check reads. */
function request(headers: Array<[string, string]>): IncomingMessage {
  const map: Record<string, string> = {}
  for (const [name, value] of headers) map[name.toLowerCase()] ??= value
  return { headers: map, rawHeaders: headers.flat() } as unknown as IncomingMessage
}

const sameOriginOnly = { allowedOrigins: [], requireOrigin: false }

describe('checkOrigin', () => {
  it.each([
    ['http://127.0.0.1:8000', '127.0.0.1:8000'],
    ['http://LOCALHOST:8000', 'localhost:8000'],
    ['https://chat.example.com', 'chat.example.com'],
    ['https://chat.example.com', 'chat.example.com:443'],
    ['http://chat.example.com:80', 'chat.example.com'],
    ['http://[::1]:8000', '[::1]:8000'],
  ])('allows the same origin: Origin %s with Host %s', (origin, host) => {
    expect(
      checkOrigin(
        request([
          ['Host', host],
          ['Origin', origin],
        ]),
        sameOriginOnly,
      ),
    ).toBeNull()
  })

  it.each([
    ['http://evil.example', '127.0.0.1:8000'],
    ['http://127.0.0.1:9000', '127.0.0.1:8000'],
    ['http://localhost:8000', '127.0.0.1:8000'],
    ['http://chat.example.com.evil.example', 'chat.example.com'],
    ['https://chat.example.com', 'chat.example.com:80'],
    ['null', '127.0.0.1:8000'],
    ['127.0.0.1:8000', '127.0.0.1:8000'],
    ['http://127.0.0.1:99999', '127.0.0.1:99999'],
  ])('refuses a foreign origin: Origin %s with Host %s', (origin, host) => {
    expect(
      checkOrigin(
        request([
          ['Host', host],
          ['Origin', origin],
        ]),
        sameOriginOnly,
      ),
    ).toBe(
      `origin ${JSON.stringify(origin)} is neither the server's own (Host ${JSON.stringify(host)}) nor allowed`,
    )
  })

  it("allows what allowedOrigins matches, with OriginValidator's rules", () => {
    const options = {
      allowedOrigins: ['.example.com', 'https://partner.test:8443'],
      requireOrigin: false,
    }
    const check = (origin: string) =>
      checkOrigin(
        request([
          ['Host', '127.0.0.1:8000'],
          ['Origin', origin],
        ]),
        options,
      )
    expect(check('https://a.b.example.com')).toBeNull()
    expect(check('http://example.com:1234')).toBeNull()
    expect(check('https://partner.test:8443')).toBeNull()
    expect(check('https://partner.test')).not.toBeNull()
    expect(check('https://example.com.evil.test')).not.toBeNull()
  })

  it('judges every value the same once it remembers as many verdicts as it keeps', () => {
    const options = { allowedOrigins: ['https://partner.test'], requireOrigin: false }
    const check = (origin: string, host: string) =>
      checkOrigin(
        request([
          ['Host', host],
          ['Origin', origin],
        ]),
        options,
      )
    // More hosts and more origins per host than are kept.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 300; i++) {
        const host = `h${i % 40}.test:8000`
        expect(check(`http://evil${i}.test`, host)).toBe(
          `origin "http://evil${i}.test" is neither the server's own (Host "${host}") nor allowed`,
        )
        expect(check(`http://${host}`, host)).toBeNull()
        expect(check('https://partner.test', host)).toBeNull()
      }
    }
  })

  it("allows everything with '*'", () => {
    const options = { allowedOrigins: ['*'], requireOrigin: true }
    expect(checkOrigin(request([['Origin', 'http://evil.example']]), options)).toBeNull()
    expect(checkOrigin(request([]), options)).toBeNull()
  })

  it('lets a request without an Origin through unless requireOrigin is set', () => {
    const headers: Array<[string, string]> = [['Host', '127.0.0.1:8000']]
    expect(checkOrigin(request(headers), sameOriginOnly)).toBeNull()
    expect(checkOrigin(request(headers), { allowedOrigins: [], requireOrigin: true })).toBe(
      'no Origin header',
    )
  })

  it('refuses two Origin headers, even when one is the server’s own', () => {
    const req = request([
      ['Host', '127.0.0.1:8000'],
      ['Origin', 'http://127.0.0.1:8000'],
      ['origin', 'http://evil.example'],
    ])
    expect(checkOrigin(req, sameOriginOnly)).toBe('more than one Origin header')
  })

  it('reads Sec-WebSocket-Origin from version 8 clients', () => {
    const req = request([
      ['Host', '127.0.0.1:8000'],
      ['Sec-WebSocket-Version', '8'],
      ['Sec-WebSocket-Origin', 'http://evil.example'],
    ])
    expect(checkOrigin(req, sameOriginOnly)).toMatch(/^origin "http:\/\/evil.example"/)
  })

  it('refuses an origin when the request has no Host header', () => {
    expect(checkOrigin(request([['Origin', 'http://127.0.0.1']]), sameOriginOnly)).toBe(
      `origin "http://127.0.0.1" is neither the server's own (Host "") nor allowed`,
    )
  })
})

describe('checkScopeOrigin', () => {
  // A scope's headers: lower-case names, repeated headers kept as separate entries.
  it('applies the same rules to an HTTP scope as to a handshake', () => {
    const host: [string, string] = ['host', '127.0.0.1:8000']
    expect(checkScopeOrigin([host, ['origin', 'http://127.0.0.1:8000']], sameOriginOnly)).toBeNull()
    expect(checkScopeOrigin([host, ['origin', 'http://evil.example']], sameOriginOnly)).toBe(
      `origin "http://evil.example" is neither the server's own (Host "127.0.0.1:8000") nor allowed`,
    )
    expect(checkScopeOrigin([host, ['origin', 'null']], sameOriginOnly)).toBe(
      `origin "null" is neither the server's own (Host "127.0.0.1:8000") nor allowed`,
    )
    expect(
      checkScopeOrigin(
        [host, ['origin', 'http://127.0.0.1:8000'], ['origin', 'http://127.0.0.1:8000']],
        sameOriginOnly,
      ),
    ).toBe('more than one Origin header')
    expect(checkScopeOrigin([host], sameOriginOnly)).toBeNull()
    expect(checkScopeOrigin([host], { allowedOrigins: [], requireOrigin: true })).toBe(
      'no Origin header',
    )
  })

  it('honours allowedOrigins, and reads the first Host header', () => {
    const options = { allowedOrigins: ['.example.com'], requireOrigin: false }
    expect(
      checkScopeOrigin(
        [
          ['host', 'x:1'],
          ['origin', 'https://chat.example.com'],
        ],
        options,
      ),
    ).toBeNull()
    expect(
      checkScopeOrigin(
        [
          ['host', 'a.test'],
          ['host', 'evil.test'],
          ['origin', 'http://evil.test'],
        ],
        sameOriginOnly,
      ),
    ).toBe(`origin "http://evil.test" is neither the server's own (Host "a.test") nor allowed`)
    expect(
      checkScopeOrigin([['origin', 'http://evil.example']], {
        allowedOrigins: ['*'],
        requireOrigin: true,
      }),
    ).toBeNull()
  })
})

describe('isSameOrigin', () => {
  it('compares the host name and the port, defaulting the port from the scheme', () => {
    expect(isSameOrigin(parseUrl('wss://example.com'), 'example.com:443')).toBe(true)
    expect(isSameOrigin(parseUrl('ws://example.com'), 'example.com:443')).toBe(false)
    expect(isSameOrigin(parseUrl('custom://example.com'), 'example.com')).toBe(true)
    expect(isSameOrigin(parseUrl('custom://example.com'), 'example.com:1')).toBe(false)
    expect(isSameOrigin(parseUrl('http://example.com'), 'example.com:bad')).toBe(false)
    expect(isSameOrigin(parseUrl('http://example.com'), undefined)).toBe(false)
  })
})

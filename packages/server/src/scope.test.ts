import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { BadRequest, buildWebSocketScope, decodePath } from './scope.js'

describe('decodePath', () => {
  it.each([
    ['/foo%2Fbar', '/foo/bar'],
    ['/r%C3%A9sum%C3%A9', '/résumé'],
    ['/plain', '/plain'],
    ['/100%', '/100%'],
    ['/%zz/%4', '/%zz/%4'],
    ['/a%20b', '/a b'],
  ])('decodes %j as %j (malformed escapes stay, as Python unquote)', (raw, decoded) => {
    expect(decodePath(raw)).toBe(decoded)
  })

  it('refuses bytes that are not UTF-8 with a 400', () => {
    expect(() => decodePath('/caf%E9')).toThrow(new BadRequest('Invalid UTF-8 in path'))
    const thrown = (() => {
      try {
        decodePath('/%ff', 'root path header')
        return null
      } catch (error) {
        return error
      }
    })()
    expect(thrown).toBeInstanceOf(BadRequest)
    expect(thrown).toMatchObject({ status: 400, message: 'Invalid UTF-8 in root path header' })
  })
})

describe('scope.server', () => {
  /** A handshake request whose socket counts the local-address lookups (a system call each). */
  function request(listeningOn: string): { req: IncomingMessage; lookups: () => number } {
    let lookups = 0
    const server = {
      address: () => ({ address: listeningOn, family: 'IPv4', port: 8000 }),
      once: () => server,
    }
    const socket = {
      server,
      remoteAddress: '127.0.0.1',
      remotePort: 50000,
      get localAddress() {
        lookups += 1
        return '127.0.0.1'
      },
      localPort: 8000,
    }
    const req = { url: '/ws/', httpVersion: '1.1', rawHeaders: ['Host', 'x'], socket }
    return { req: req as unknown as IncomingMessage, lookups: () => lookups }
  }
  const options = { rootPath: '', proxyHeaders: null }

  it('is the address the server listens on, one frozen tuple, without a lookup per connection', () => {
    const first = request('127.0.0.1')
    const a = buildWebSocketScope(first.req, [], options)
    const b = buildWebSocketScope(request('127.0.0.1').req, [], options)
    expect(a.server).toEqual(['127.0.0.1', 8000])
    expect(Object.isFrozen(a.server)).toBe(true)
    expect(first.lookups()).toBe(0)
    // Each fake server is its own key; the tuple is shared per server, not across servers.
    expect(b.server).toEqual(a.server)
  })

  it("is the socket's own local address for a server on a wildcard address", () => {
    const wildcard = request('0.0.0.0')
    expect(buildWebSocketScope(wildcard.req, [], options).server).toEqual(['127.0.0.1', 8000])
    expect(wildcard.lookups()).toBe(1)
  })
})

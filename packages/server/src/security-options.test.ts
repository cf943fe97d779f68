import { describe, expect, it } from 'vitest'
import { resolveSecurityOptions } from './security-options.js'

describe('resolveSecurityOptions', () => {
  it('turns the safe defaults on', () => {
    expect(resolveSecurityOptions({})).toEqual({
      allowedOrigins: [],
      requireOrigin: false,
      websocketRateLimit: { messagesPerSecond: 100, burst: 200 },
      websocketMessageTimeoutMs: 60_000,
      maxConnectionsPerClient: 256,
      maxConnections: null,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 300_000,
      maxHeaderSize: 16_384,
      maxHeadersCount: 100,
    })
  })

  it('turns each limit off with null', () => {
    const resolved = resolveSecurityOptions({
      websocketRateLimit: null,
      websocketMessageTimeoutMs: null,
      maxConnectionsPerClient: null,
      maxConnections: null,
      requestTimeoutMs: null,
    })
    expect(resolved).toMatchObject({
      websocketRateLimit: null,
      websocketMessageTimeoutMs: null,
      maxConnectionsPerClient: null,
      maxConnections: null,
      requestTimeoutMs: null,
    })
  })

  it('fills in half a rate limit and copies the allowed origins', () => {
    const origins = ['example.com']
    const resolved = resolveSecurityOptions({
      allowedOrigins: origins,
      websocketRateLimit: { messagesPerSecond: 5 },
    })
    expect(resolved.websocketRateLimit).toEqual({ messagesPerSecond: 5, burst: 200 })
    origins.push('evil.example')
    expect(resolved.allowedOrigins).toEqual(['example.com'])
    expect(Object.isFrozen(resolved.allowedOrigins)).toBe(true)
  })

  it.each([
    [
      { allowedOrigins: 'example.com' },
      new TypeError(
        'The allowedOrigins option must be a list of non-empty strings, not "example.com".',
      ),
    ],
    [
      { allowedOrigins: [''] },
      new TypeError('The allowedOrigins option must be a list of non-empty strings, not [""].'),
    ],
    [{ requireOrigin: 1 }, new TypeError('The requireOrigin option must be a boolean, not 1.')],
    [
      { websocketRateLimit: 100 },
      new TypeError(
        'The websocketRateLimit option must be { messagesPerSecond, burst } or null, not 100.',
      ),
    ],
    [
      { websocketRateLimit: { perSecond: 1 } },
      new TypeError('Unknown websocketRateLimit option "perSecond".'),
    ],
    [
      { websocketRateLimit: { messagesPerSecond: 0 } },
      new RangeError(
        'The websocketRateLimit messagesPerSecond must be a number greater than 0, not 0.',
      ),
    ],
    [
      { websocketRateLimit: { burst: 0.5 } },
      new RangeError('The websocketRateLimit burst must be an integer of at least 1, not 0.5.'),
    ],
    [
      { websocketMessageTimeoutMs: 0 },
      new RangeError(
        'The websocketMessageTimeoutMs option must be greater than 0 and at most 2147483647 ms, not 0.',
      ),
    ],
    [
      { headersTimeoutMs: '10s' },
      new TypeError('The headersTimeoutMs option must be a number of milliseconds, not "10s".'),
    ],
    [
      { headersTimeoutMs: 5000, requestTimeoutMs: 1000 },
      new RangeError(
        'The requestTimeoutMs option (1000) must not be less than headersTimeoutMs (5000).',
      ),
    ],
    [
      { maxConnectionsPerClient: 0 },
      new RangeError('The maxConnectionsPerClient option must be at least 1, not 0.'),
    ],
    [
      { maxConnections: 1.5 },
      new TypeError('The maxConnections option must be an integer, not 1.5.'),
    ],
    [
      { maxHeaderSize: 100 },
      new RangeError('The maxHeaderSize option must be at least 1024, not 100.'),
    ],
    [
      { maxHeadersCount: 0 },
      new RangeError('The maxHeadersCount option must be at least 1, not 0.'),
    ],
  ])('refuses %j', (options, error) => {
    expect(() => resolveSecurityOptions(options as never)).toThrow(error)
  })
})

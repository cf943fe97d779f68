import { describe, expect, it } from 'vitest'
import { defaultLogger, resolveOptions } from './options.js'

describe('resolveOptions', () => {
  it("applies Daphne's defaults with units", () => {
    expect(resolveOptions({})).toEqual({
      host: '127.0.0.1',
      port: 8000,
      server: null,
      rootPath: '',
      proxyHeaders: null,
      pingIntervalMs: 20_000,
      pingTimeoutMs: 30_000,
      websocketTimeoutMs: null,
      websocketConnectTimeoutMs: 5_000,
      websocketMaxMessageSize: 1_048_576,
      maxBufferedBytes: 8_388_608,
      httpTimeoutMs: null,
      applicationCloseTimeoutMs: 10_000,
      serverName: 'node-channels',
      accessLog: null,
      logger: defaultLogger,
      signalHandlers: false,
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

  it('names the proxy headers only when proxyHeaders is on', () => {
    expect(
      resolveOptions({ proxyHeaders: true, proxyHeadersHost: 'X-Real-IP' }).proxyHeaders,
    ).toEqual({
      address: 'X-Real-IP',
      port: 'X-Forwarded-Port',
      proto: 'X-Forwarded-Proto',
    })
    expect(() => resolveOptions({ proxyHeadersPort: 'X-Port' })).toThrow(
      new TypeError('The proxyHeadersPort option requires proxyHeaders: true.'),
    )
  })

  it.each([
    [{ port: 70000 }, RangeError, 'The port option must be between 0 and 65535, not 70000.'],
    [{ port: '80' }, TypeError, 'The port option must be an integer, not "80".'],
    [{ host: '' }, TypeError, 'The host option must be a non-empty string, not "".'],
    [
      { pingIntervalMs: -1 },
      RangeError,
      'The pingIntervalMs option must be between 0 and 2147483647 ms, not -1.',
    ],
    [{ pingTimeoutMs: 0 }, RangeError, 'The pingTimeoutMs option must be greater than 0, not 0.'],
    [
      { httpTimeoutMs: Number.NaN },
      TypeError,
      'The httpTimeoutMs option must be a number of milliseconds, not NaN.',
    ],
    [
      { websocketMaxMessageSize: 1.5 },
      TypeError,
      'The websocketMaxMessageSize option must be an integer, not 1.5.',
    ],
    [{ serverName: 5 }, TypeError, 'The serverName option must be a string, not 5.'],
    [
      { accessLog: 'stdout' },
      TypeError,
      'The accessLog option must be a function or a writable stream, not "stdout".',
    ],
    [
      { logger: {} },
      TypeError,
      'The logger option must have debug(), warn() and error() methods, not {}.',
    ],
    [
      { signalHandlers: 'yes' },
      TypeError,
      'The signalHandlers option must be a boolean, not "yes".',
    ],
    [{ server: {} }, TypeError, 'The server option must be an http.Server, not {}.'],
    [{ pingIntervallMs: 5 }, TypeError, 'Unknown serve() option "pingIntervallMs".'],
  ])('rejects %j', (options, type, message) => {
    expect(() => resolveOptions(options as never)).toThrow(new type(message))
  })

  it('accepts 0 for the limits that 0 turns off, and null for optional timeouts', () => {
    const options = resolveOptions({
      port: 0,
      pingIntervalMs: 0,
      websocketMaxMessageSize: 0,
      maxBufferedBytes: 0,
      httpTimeoutMs: null,
      serverName: '',
    })
    expect(options).toMatchObject({
      port: 0,
      pingIntervalMs: 0,
      websocketMaxMessageSize: 0,
      maxBufferedBytes: 0,
      httpTimeoutMs: null,
      serverName: '',
    })
  })
})

import { describe, expect, it } from 'vitest'
import { parseCli, UsageError } from './cli-args.js'

describe('parseCli', () => {
  it("defaults to Daphne's 127.0.0.1:8000 (no options set) and stdout for the access log", () => {
    expect(parseCli(['serve', 'app.ts'])).toEqual({
      command: 'serve',
      module: 'app.ts',
      exportName: null,
      accessLog: '-',
      verbosity: 1,
      layerUrl: null,
      options: {},
    })
  })

  it('converts durations in seconds to milliseconds and names options after Daphne', () => {
    const command = parseCli([
      'serve',
      'app.ts',
      '-b',
      '::1',
      '-p',
      '0',
      '--root-path',
      '/api',
      '--proxy-headers',
      '--proxy-headers-host',
      'X-Real-IP',
      '--proxy-headers-port',
      'X-Real-Port',
      '--ping-interval',
      '0.5',
      '--ping-timeout',
      '2',
      '--websocket-timeout',
      '3600',
      '--websocket-connect-timeout',
      '1.25',
      '--websocket-max-message-size',
      '0',
      '--max-buffered-bytes',
      '65536',
      '-t',
      '30',
      '--application-close-timeout',
      '0',
      '--no-server-name',
      '--access-log',
      'access.log',
      '--application',
      'app',
      '-v',
      '2',
    ])
    expect(command).toEqual({
      command: 'serve',
      module: 'app.ts',
      exportName: 'app',
      accessLog: 'access.log',
      verbosity: 2,
      layerUrl: null,
      options: {
        host: '::1',
        port: 0,
        rootPath: '/api',
        proxyHeaders: true,
        proxyHeadersHost: 'X-Real-IP',
        proxyHeadersPort: 'X-Real-Port',
        pingIntervalMs: 500,
        pingTimeoutMs: 2000,
        websocketTimeoutMs: 3_600_000,
        websocketConnectTimeoutMs: 1250,
        websocketMaxMessageSize: 0,
        maxBufferedBytes: 65536,
        httpTimeoutMs: 30_000,
        applicationCloseTimeoutMs: 0,
        serverName: '',
      },
    })
    expect(parseCli(['serve', 'a.ts', '--websocket-timeout', '-1'])).toMatchObject({
      options: { websocketTimeoutMs: null },
    })
    expect(parseCli(['serve', 'a.ts', '-s', 'python'])).toMatchObject({
      options: { serverName: 'python' },
    })
  })

  it('answers help', () => {
    expect(parseCli([])).toEqual({ command: 'help' })
    expect(parseCli(['serve', '--help'])).toEqual({ command: 'help' })
  })

  it.each([
    [['launch', 'app.ts'], 'Unknown command "launch".'],
    [['serve'], 'serve needs the path of the module holding the application.'],
    [['serve', 'a.ts', 'b.ts'], 'serve takes one module, not 2: ["a.ts","b.ts"].'],
    [
      ['serve', 'a.ts', '--proxy-headers-host', 'X'],
      '--proxy-headers-host: --proxy-headers has to be passed for this parameter.',
    ],
    [
      ['serve', 'a.ts', '--proxy-headers-port', 'X'],
      '--proxy-headers-port: --proxy-headers has to be passed for this parameter.',
    ],
    [['serve', 'a.ts', '--port', 'http'], '--port must be an integer from 0 to 65535, not "http".'],
    [
      ['serve', 'a.ts', '--port', '70000'],
      '--port must be an integer from 0 to 65535, not "70000".',
    ],
    [
      ['serve', 'a.ts', '--ping-timeout', '0'],
      '--ping-timeout must be a positive number of seconds, not "0".',
    ],
    [
      ['serve', 'a.ts', '--http-timeout', '1e3'],
      '--http-timeout must be a positive number of seconds, not "1e3".',
    ],
    [
      ['serve', 'a.ts', '--server-name', 'x', '--no-server-name'],
      '--server-name and --no-server-name cannot be used together.',
    ],
    [
      ['serve', 'a.ts', '--bogus'],
      "Unknown option '--bogus'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- \"--bogus\"",
    ],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCli(argv)).toThrow(new UsageError(message))
  })
})

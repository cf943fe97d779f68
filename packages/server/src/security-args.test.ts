import { parseArgs } from 'node:util'
import { describe, expect, it } from 'vitest'
import { parseCli, UsageError } from './cli-args.js'
import { applySecurityArgs, SECURITY_ARGS } from './security-args.js'
import type { SecurityOptions } from './security-options.js'

function apply(args: string[]): SecurityOptions {
  const { values } = parseArgs({ args, options: SECURITY_ARGS, strict: true })
  const options: SecurityOptions = {}
  applySecurityArgs(values, options)
  return options
}

describe('applySecurityArgs', () => {
  it('sets nothing without flags, so the defaults of serve() apply', () => {
    expect(apply([])).toEqual({})
  })

  it('reads every flag, seconds to milliseconds and 0 as "none"', () => {
    expect(
      apply([
        '--allowed-origins',
        'example.com, .example.org',
        '--allowed-origins=https://partner.test:8443',
        '--require-origin',
        '--websocket-rate-limit',
        '2.5',
        '--websocket-rate-burst',
        '5',
        '--websocket-message-timeout',
        '0',
        '--max-connections-per-client',
        '0',
        '--max-connections',
        '1000',
        '--headers-timeout',
        '2.5',
        '--request-timeout',
        '0',
        '--max-header-size',
        '8192',
        '--max-headers-count',
        '50',
      ]),
    ).toEqual({
      allowedOrigins: ['example.com', '.example.org', 'https://partner.test:8443'],
      requireOrigin: true,
      websocketRateLimit: { messagesPerSecond: 2.5, burst: 5 },
      websocketMessageTimeoutMs: null,
      maxConnectionsPerClient: null,
      maxConnections: 1000,
      headersTimeoutMs: 2500,
      requestTimeoutMs: null,
      maxHeaderSize: 8192,
      maxHeadersCount: 50,
    })
  })

  it('turns the origin check off with --no-origin-check, and the rate limit with 0', () => {
    expect(apply(['--no-origin-check', '--websocket-rate-limit', '0'])).toEqual({
      allowedOrigins: ['*'],
      websocketRateLimit: null,
    })
  })

  it.each([
    [
      ['--no-origin-check', '--allowed-origins', 'a.test'],
      '--allowed-origins and --no-origin-check cannot be used together.',
    ],
    [
      ['--websocket-rate-limit', '0', '--websocket-rate-burst', '3'],
      '--websocket-rate-burst needs a --websocket-rate-limit above 0.',
    ],
    [['--websocket-rate-burst', '0'], '--websocket-rate-burst must be at least 1, not "0".'],
    [['--max-connections', 'many'], '--max-connections must be a whole number, not "many".'],
    [['--headers-timeout', '0'], '--headers-timeout must be above 0, not "0".'],
    [['--headers-timeout', '1s'], '--headers-timeout must be a number, not "1s".'],
    [
      ['--headers-timeout', '20', '--request-timeout', '10'],
      'The requestTimeoutMs option (10000) must not be less than headersTimeoutMs (20000).',
    ],
    [['--max-header-size', '10'], 'The maxHeaderSize option must be at least 1024, not 10.'],
  ])('refuses %j', (args, message) => {
    expect(() => apply(args)).toThrow(message)
  })
})

describe('node-channels serve with hardening flags', () => {
  it('puts them into the serve options', () => {
    const command = parseCli(['serve', 'app.ts', '--no-origin-check', '--max-connections', '9'])
    expect(command).toMatchObject({
      command: 'serve',
      options: { allowedOrigins: ['*'], maxConnections: 9 },
    })
  })

  it('reports a bad value as a usage error', () => {
    expect(() => parseCli(['serve', 'app.ts', '--max-headers-count', '-3'])).toThrow(UsageError)
    expect(() => parseCli(['serve', 'app.ts', '--max-headers-count', 'x'])).toThrow(
      new UsageError('--max-headers-count must be a whole number, not "x".'),
    )
  })
})

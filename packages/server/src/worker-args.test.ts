import { describe, expect, it } from 'vitest'
import { parseCli, UsageError } from './cli-args.js'

describe('parseCli worker', () => {
  it('takes a module and channels, with runworker-like defaults', () => {
    expect(parseCli(['worker', 'app.ts', 'thumbnails-generate', 'emails'])).toEqual({
      command: 'worker',
      module: 'app.ts',
      channels: ['thumbnails-generate', 'emails'],
      exportName: null,
      layerUrl: null,
      applicationCloseTimeoutMs: 10_000,
      verbosity: 1,
    })
  })

  it('reads --layer, --application, --application-close-timeout and --verbosity', () => {
    expect(
      parseCli([
        'worker',
        '--layer',
        'redis://127.0.0.1:6379',
        'app.ts',
        'jobs',
        '--application',
        'workers',
        '--application-close-timeout',
        '0.25',
        '-v',
        '2',
      ]),
    ).toEqual({
      command: 'worker',
      module: 'app.ts',
      channels: ['jobs'],
      exportName: 'workers',
      layerUrl: 'redis://127.0.0.1:6379',
      applicationCloseTimeoutMs: 250,
      verbosity: 2,
    })
  })

  it('takes --layer for serve too', () => {
    expect(parseCli(['serve', 'app.ts', '--layer', 'memory://'])).toMatchObject({
      command: 'serve',
      layerUrl: 'memory://',
    })
  })

  it('answers help', () => {
    expect(parseCli(['worker', '--help'])).toEqual({ command: 'help' })
  })

  it.each([
    [['worker'], 'worker needs the path of the module holding the application.'],
    [['worker', 'app.ts'], 'worker needs at least one channel name.'],
    [
      ['worker', 'app.ts', 'bad channel'],
      'Channel name must be a valid unicode string with length < 100 containing only ASCII ' +
        'alphanumerics, hyphens, underscores, or periods, not "bad channel".',
    ],
    [
      ['worker', 'app.ts', 'specific.abc!def'],
      'worker cannot consume the process-local channel "specific.abc!def"; name a shared channel.',
    ],
    [['worker', 'app.ts', 'jobs', 'jobs'], 'The channel "jobs" is listed twice.'],
    [
      ['worker', 'app.ts', 'jobs', '--application-close-timeout', 'soon'],
      '--application-close-timeout must be a number of seconds, not "soon".',
    ],
    [
      ['worker', 'app.ts', 'jobs', '-v', '3'],
      '--verbosity must be an integer from 0 to 2, not "3".',
    ],
    [
      ['worker', 'app.ts', 'jobs', '--port', '80'],
      "Unknown option '--port'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- \"--port\"",
    ],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCli(argv)).toThrow(new UsageError(message))
  })
})

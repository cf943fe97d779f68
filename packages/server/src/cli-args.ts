import { parseArgs } from 'node:util'
import { asUsage, integer, seconds, UsageError } from './cli-values.js'
import type { ServeOptions } from './options.js'
import { applySecurityArgs, SECURITY_ARGS, SECURITY_USAGE } from './security-args.js'
import { parseWorker, WORKER_HELP, WORKER_SYNOPSIS, type WorkerCommand } from './worker-args.js'

export { UsageError }

/** What `node-channels serve` was asked to do. */
export interface ServeCommand {
  command: 'serve'
  /** Path of the module holding the application. */
  module: string
  /** The export to serve: `--application`, else `application`, else `default`. */
  exportName: string | null
  /** `--access-log`: a file path, or `-` for stdout (the default). */
  accessLog: string
  /** 0 warnings off, 1 warnings and errors (default), 2 also debug lines. */
  verbosity: number
  /** `--layer`: a channel layer URL (else `CHANNEL_LAYER_URL`, else the module's own layer). */
  layerUrl: string | null
  options: ServeOptions
}

/** The help text of `node-channels`. */
export const USAGE: string = `Usage: node-channels serve <module> [options]
${WORKER_SYNOPSIS}
Serves the module's \`application\` export (or its default export) over HTTP and WebSocket.
A .ts/.mts module is loaded through tsx. Durations are in seconds, as in Daphne.

Serve options:
      --layer URL                     channel layer: memory://, redis://..., rediss://...
                                      (default $CHANNEL_LAYER_URL, else the module's own)
  -b, --host HOST                     interface to bind (default 127.0.0.1)
  -p, --port PORT                     port to bind, 0 for any free one (default 8000)
      --application NAME              export to serve (default application, then default)
      --root-path PATH                root_path of every scope (default "")
      --proxy-headers                 trust X-Forwarded-For/-Port/-Proto
      --proxy-headers-host NAME       client address header (default X-Forwarded-For)
      --proxy-headers-port NAME       client port header (default X-Forwarded-Port)
      --ping-interval SECONDS         ping idle WebSockets after this long, 0 = never (default 20)
      --ping-timeout SECONDS          drop a WebSocket whose ping is unanswered (default 30)
      --websocket-timeout SECONDS     maximum WebSocket lifetime, -1 = none (default none)
      --websocket-connect-timeout SECONDS
                                      time to accept a handshake, then 504 (default 5)
      --websocket-max-message-size BYTES
                                      largest incoming message, 0 = no limit (default 1048576)
      --max-buffered-bytes BYTES      output a slow client may owe before close 1008 (default 8388608)
  -t, --http-timeout SECONDS          answer 503 if no response has started (default none)
      --application-close-timeout SECONDS
                                      time an application has to finish after its
                                      connection ended (default 10)
  -s, --server-name NAME              Server header (default node-channels)
      --no-server-name                send no Server header
      --access-log FILE               access log file, - for stdout (default -)
  -v, --verbosity N                   0 quiet, 1 warnings (default), 2 debug
  -h, --help                          show this help
${SECURITY_USAGE}
${WORKER_HELP}`

/**
 * Parses `node-channels` arguments, dispatching on the sub-command (`serve` or `worker`).
 * Throws UsageError for anything it cannot use.
 */
export function parseCli(
  argv: readonly string[],
): ServeCommand | WorkerCommand | { command: 'help' } {
  const [command, ...rest] = argv
  if (command === undefined || command === '-h' || command === '--help') return { command: 'help' }
  if (command === 'serve') return parseServe(rest)
  if (command === 'worker') return parseWorker(rest)
  throw new UsageError(`Unknown command ${JSON.stringify(command)}.`)
}

function parseServe(argv: string[]): ServeCommand | { command: 'help' } {
  const { values, positionals } = asUsage(() => parseServeArgs(argv))
  if (values.help) return { command: 'help' }
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? 'serve needs the path of the module holding the application.'
        : `serve takes one module, not ${positionals.length}: ${JSON.stringify(positionals)}.`,
    )
  }
  if (!values['proxy-headers']) {
    for (const name of ['proxy-headers-host', 'proxy-headers-port'] as const) {
      if (values[name] !== undefined) {
        throw new UsageError(`--${name}: --proxy-headers has to be passed for this parameter.`)
      }
    }
  }
  if (values['no-server-name'] && values['server-name'] !== undefined) {
    throw new UsageError('--server-name and --no-server-name cannot be used together.')
  }
  const options: ServeOptions = {}
  if (values.host !== undefined) options.host = values.host
  if (values.port !== undefined) options.port = integer('--port', values.port, 0, 65535)
  if (values['root-path'] !== undefined) options.rootPath = values['root-path']
  if (values['proxy-headers']) options.proxyHeaders = true
  if (values['proxy-headers-host'] !== undefined)
    options.proxyHeadersHost = values['proxy-headers-host']
  if (values['proxy-headers-port'] !== undefined)
    options.proxyHeadersPort = values['proxy-headers-port']
  const ms = (name: string, value: string | undefined, zero: boolean) =>
    value === undefined ? undefined : seconds(`--${name}`, value, zero)
  const set = <K extends keyof ServeOptions>(key: K, value: ServeOptions[K] | undefined) => {
    if (value !== undefined) options[key] = value
  }
  set('pingIntervalMs', ms('ping-interval', values['ping-interval'], true))
  set('pingTimeoutMs', ms('ping-timeout', values['ping-timeout'], false))
  const lifetime = values['websocket-timeout']
  if (lifetime !== undefined) {
    options.websocketTimeoutMs =
      lifetime.trim() === '-1' ? null : seconds('--websocket-timeout', lifetime, false)
  }
  set(
    'websocketConnectTimeoutMs',
    ms('websocket-connect-timeout', values['websocket-connect-timeout'], false),
  )
  const size = values['websocket-max-message-size']
  if (size !== undefined)
    options.websocketMaxMessageSize = integer('--websocket-max-message-size', size, 0)
  const buffered = values['max-buffered-bytes']
  if (buffered !== undefined)
    options.maxBufferedBytes = integer('--max-buffered-bytes', buffered, 0)
  set('httpTimeoutMs', ms('http-timeout', values['http-timeout'], false))
  set(
    'applicationCloseTimeoutMs',
    ms('application-close-timeout', values['application-close-timeout'], true),
  )
  if (values['server-name'] !== undefined) options.serverName = values['server-name']
  if (values['no-server-name']) options.serverName = ''
  asUsage(() => applySecurityArgs(values, options))
  const verbosity =
    values.verbosity === undefined ? 1 : integer('--verbosity', values.verbosity, 0, 2)
  return {
    command: 'serve',
    module: positionals[0] ?? '',
    exportName: values.application ?? null,
    layerUrl: values.layer ?? null,
    accessLog: values['access-log'] ?? '-',
    verbosity,
    options,
  }
}

function parseServeArgs(argv: string[]) {
  // `--websocket-timeout -1` (Daphne's "infinite"): parseArgs would take `-1` for a flag.
  const args = argv.flatMap((arg, i) =>
    /^-\d/.test(arg) && /^--[a-z-]+$/.test(argv[i - 1] ?? '') ? [] : [joinNegative(argv, i)],
  )
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      host: { type: 'string', short: 'b' },
      port: { type: 'string', short: 'p' },
      application: { type: 'string' },
      layer: { type: 'string' },
      'root-path': { type: 'string' },
      'proxy-headers': { type: 'boolean' },
      'proxy-headers-host': { type: 'string' },
      'proxy-headers-port': { type: 'string' },
      'ping-interval': { type: 'string' },
      'ping-timeout': { type: 'string' },
      'websocket-timeout': { type: 'string' },
      'websocket-connect-timeout': { type: 'string' },
      'websocket-max-message-size': { type: 'string' },
      'max-buffered-bytes': { type: 'string' },
      'http-timeout': { type: 'string', short: 't' },
      'application-close-timeout': { type: 'string' },
      'server-name': { type: 'string', short: 's' },
      'no-server-name': { type: 'boolean' },
      'access-log': { type: 'string' },
      verbosity: { type: 'string', short: 'v' },
      help: { type: 'boolean', short: 'h' },
      ...SECURITY_ARGS,
    },
  })
}

function joinNegative(argv: string[], i: number): string {
  const arg = argv[i] ?? ''
  const next = argv[i + 1]
  return /^--[a-z-]+$/.test(arg) && next !== undefined && /^-\d/.test(next) ? `${arg}=${next}` : arg
}

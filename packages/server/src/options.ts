import type { Server as HttpServer } from 'node:http'
import { quoteValue } from '@node-channels/core'
import type { AccessLogTarget } from './access-log.js'
import {
  type ResolvedSecurityOptions,
  resolveSecurityOptions,
  SECURITY_OPTION_NAMES,
  type SecurityOptions,
} from './security-options.js'

/** Where the server reports problems. `console` fits; only `warn` and `error` are on by default. */
export interface ServerLogger {
  debug(message: string): void
  warn(message: string): void
  error(message: string, error?: unknown): void
}

/**
 * Options of `serve()`. The names are Daphne's command-line options, camelCased, with the unit
 * in the name (milliseconds, bytes). Every duration is optional; `null` disables a limit.
 */
export interface ServeOptions extends SecurityOptions {
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string
  /** Port to listen on; 0 picks a free one. @default 8000 */
  port?: number
  /**
   * An existing `http.Server` (or `https.Server`) to serve WebSockets on. Its own request
   * listeners keep serving HTTP; only upgrade requests go to the application. It is made to
   * listen on `host`/`port` unless it already listens.
   */
  server?: HttpServer
  /** `root_path` of every scope, used verbatim (Daphne's `--root-path`). @default '' */
  rootPath?: string
  /** Trust X-Forwarded-For / -Port / -Proto for `client` and `scheme`. @default false */
  proxyHeaders?: boolean
  /** Header holding the client address; needs `proxyHeaders`. @default 'X-Forwarded-For' */
  proxyHeadersHost?: string
  /** Header holding the client port; needs `proxyHeaders`. @default 'X-Forwarded-Port' */
  proxyHeadersPort?: string
  /** Ping a WebSocket after this long without hearing from it; 0 never pings. @default 20000 */
  pingIntervalMs?: number
  /** Drop a WebSocket whose ping is unanswered this long (the app sees 1006). @default 30000 */
  pingTimeoutMs?: number
  /** Maximum lifetime of a WebSocket, then close 1000. @default null (none) */
  websocketTimeoutMs?: number | null
  /** Time the application has to accept or close a handshake, then HTTP 504. @default 5000 */
  websocketConnectTimeoutMs?: number
  /** Largest incoming frame or message in bytes, else close 1009; 0 = unlimited. @default 1048576 */
  websocketMaxMessageSize?: number
  /**
   * Bytes of output a WebSocket may have waiting for a slow client; past it the server closes
   * the socket with 1008 (policy violation) instead of buffering without bound. 0 = unlimited.
   * @default 8388608 (8 MiB)
   */
  maxBufferedBytes?: number
  /** An HTTP response not started this long after the request is answered 503. @default null */
  httpTimeoutMs?: number | null
  /** Time an application has to return after its connection ended, then it is abandoned. @default 10000 */
  applicationCloseTimeoutMs?: number
  /** `Server` header of responses and handshakes; '' sends none. @default 'node-channels' */
  serverName?: string
  /** One line per HTTP request and WebSocket event, as Daphne's access log. @default null (none) */
  accessLog?: AccessLogTarget | null
  /** Receives application errors (with their stack) and protocol warnings. */
  logger?: ServerLogger
  /** Shut down gracefully on SIGINT and SIGTERM. @default false (the CLI turns it on) */
  signalHandlers?: boolean
}

/** `ServeOptions` with every default applied and every value checked. */
export interface ResolvedOptions extends ResolvedSecurityOptions {
  host: string
  port: number
  server: HttpServer | null
  rootPath: string
  proxyHeaders: { address: string; port: string; proto: string } | null
  pingIntervalMs: number
  pingTimeoutMs: number
  websocketTimeoutMs: number | null
  websocketConnectTimeoutMs: number
  websocketMaxMessageSize: number
  maxBufferedBytes: number
  httpTimeoutMs: number | null
  applicationCloseTimeoutMs: number
  serverName: string
  accessLog: AccessLogTarget | null
  logger: ServerLogger
  signalHandlers: boolean
}

/** The logger used when none is given: warnings and errors to stderr, debug lines dropped. */
export const defaultLogger: ServerLogger = {
  debug() {},
  warn: (message) => console.warn(message),
  error: (message, error) =>
    error === undefined ? console.error(message) : console.error(message, error),
}

const KNOWN = new Set([
  'host',
  'port',
  'server',
  'rootPath',
  'proxyHeaders',
  'proxyHeadersHost',
  'proxyHeadersPort',
  'pingIntervalMs',
  'pingTimeoutMs',
  'websocketTimeoutMs',
  'websocketConnectTimeoutMs',
  'websocketMaxMessageSize',
  'maxBufferedBytes',
  'httpTimeoutMs',
  'applicationCloseTimeoutMs',
  'serverName',
  'accessLog',
  'logger',
  'signalHandlers',
  ...SECURITY_OPTION_NAMES,
])

/** Applies the defaults and checks every option, throwing a TypeError or RangeError naming the bad one. */
export function resolveOptions(options: ServeOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`serve() options must be an object, not ${quoteValue(options)}.`)
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new TypeError(`Unknown serve() option ${JSON.stringify(key)}.`)
  }
  const proxyHeaders = bool(options, 'proxyHeaders', false)
  for (const name of ['proxyHeadersHost', 'proxyHeadersPort'] as const) {
    if (options[name] !== undefined && !proxyHeaders) {
      throw new TypeError(`The ${name} option requires proxyHeaders: true.`)
    }
  }
  const server = options.server ?? null
  if (server !== null && (typeof server !== 'object' || typeof server.listen !== 'function')) {
    throw new TypeError(`The server option must be an http.Server, not ${quoteValue(server)}.`)
  }
  return {
    host: text(options, 'host', '127.0.0.1', false),
    port: integer(options, 'port', 8000, 0, 65535),
    server,
    rootPath: text(options, 'rootPath', '', true),
    proxyHeaders: proxyHeaders
      ? {
          address: text(options, 'proxyHeadersHost', 'X-Forwarded-For', false),
          port: text(options, 'proxyHeadersPort', 'X-Forwarded-Port', false),
          proto: 'X-Forwarded-Proto',
        }
      : null,
    pingIntervalMs: duration(options, 'pingIntervalMs', 20_000),
    pingTimeoutMs: positive(options, 'pingTimeoutMs', 30_000),
    websocketTimeoutMs: optionalDuration(options, 'websocketTimeoutMs'),
    websocketConnectTimeoutMs: positive(options, 'websocketConnectTimeoutMs', 5_000),
    websocketMaxMessageSize: integer(options, 'websocketMaxMessageSize', 1024 * 1024, 0),
    maxBufferedBytes: integer(options, 'maxBufferedBytes', 8 * 1024 * 1024, 0),
    httpTimeoutMs: optionalDuration(options, 'httpTimeoutMs'),
    applicationCloseTimeoutMs: duration(options, 'applicationCloseTimeoutMs', 10_000),
    serverName: text(options, 'serverName', 'node-channels', true),
    accessLog: accessLog(options.accessLog),
    logger: logger(options.logger),
    signalHandlers: bool(options, 'signalHandlers', false),
    ...resolveSecurityOptions(options),
  }
}

// --- helpers ---

type Key = keyof ServeOptions

function text(options: ServeOptions, name: Key, fallback: string, allowEmpty: boolean): string {
  const value = options[name]
  if (value === undefined) return fallback
  if (typeof value !== 'string' || (!allowEmpty && value.length === 0)) {
    const what = allowEmpty ? 'a string' : 'a non-empty string'
    throw new TypeError(`The ${name} option must be ${what}, not ${quoteValue(value)}.`)
  }
  return value
}

function bool(options: ServeOptions, name: Key, fallback: boolean): boolean {
  const value = options[name]
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') {
    throw new TypeError(`The ${name} option must be a boolean, not ${quoteValue(value)}.`)
  }
  return value
}

function integer(
  options: ServeOptions,
  name: Key,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const value = options[name]
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`The ${name} option must be an integer, not ${quoteValue(value)}.`)
  }
  if (value < min || value > max) {
    throw new RangeError(`The ${name} option must be between ${min} and ${max}, not ${value}.`)
  }
  return value
}

function duration(options: ServeOptions, name: Key, fallback: number): number {
  const value = options[name]
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(
      `The ${name} option must be a number of milliseconds, not ${quoteValue(value)}.`,
    )
  }
  if (value < 0 || value > 2 ** 31 - 1) {
    throw new RangeError(`The ${name} option must be between 0 and 2147483647 ms, not ${value}.`)
  }
  return value
}

function positive(options: ServeOptions, name: Key, fallback: number): number {
  const value = duration(options, name, fallback)
  if (value === 0) throw new RangeError(`The ${name} option must be greater than 0, not 0.`)
  return value
}

function optionalDuration(options: ServeOptions, name: Key): number | null {
  if (options[name] === null || options[name] === undefined) return null
  return positive(options, name, 0)
}

function accessLog(value: unknown): AccessLogTarget | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'function') return value as AccessLogTarget
  if (typeof value === 'object' && typeof (value as { write?: unknown }).write === 'function') {
    return value as AccessLogTarget
  }
  throw new TypeError(
    `The accessLog option must be a function or a writable stream, not ${quoteValue(value)}.`,
  )
}

function logger(value: unknown): ServerLogger {
  if (value === undefined) return defaultLogger
  const candidate = value as Partial<ServerLogger> | null
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.debug !== 'function' ||
    typeof candidate.warn !== 'function' ||
    typeof candidate.error !== 'function'
  ) {
    throw new TypeError(
      `The logger option must have debug(), warn() and error() methods, not ${quoteValue(value)}.`,
    )
  }
  return candidate as ServerLogger
}

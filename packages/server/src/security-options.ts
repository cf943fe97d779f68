import { quoteValue } from '@node-channels/core'

// The server's safe defaults against hostile clients: origin checking, rate and connection
// limits, and the node:http limits on request heads. docs/security.md lists what each answers.

/** A token bucket on the messages one WebSocket may send. */
export interface WebsocketRateLimit {
  /** Tokens added per second: the sustained message rate. @default 100 */
  messagesPerSecond?: number
  /** Bucket size: messages a client may send at once after a quiet spell. @default 200 */
  burst?: number
}

/** The hardening options of `serve()`; `ServeOptions` includes them. */
export interface SecurityOptions {
  /**
   * Origins allowed to open a WebSocket besides the server's own: a handshake whose `Origin`
   * is neither same-origin (its host and port those of the `Host` header) nor matched by a
   * pattern here is answered 403 before the application runs. Patterns are
   * `OriginValidator`'s (`'example.com'`, `'.example.com'`, `'https://example.com:8443'`);
   * `'*'` turns the check off. @default [] (same-origin only)
   */
  allowedOrigins?: readonly string[]
  /**
   * Refuse (403) WebSocket handshakes without an `Origin` header. Browsers always send one,
   * so only non-browser clients lack it; they cannot be victims of cross-site WebSocket
   * hijacking, which is why they are let through by default. @default false
   */
  requireOrigin?: boolean
  /**
   * Incoming messages per WebSocket; a client over it is closed with 1008. `null` for none.
   * @default { messagesPerSecond: 100, burst: 200 }
   */
  websocketRateLimit?: WebsocketRateLimit | null
  /**
   * Time a message may take to arrive once its first frame started (a large frame trickling
   * in, or a fragmented message never finished); then close 1008. `null` for none. @default 60000
   */
  websocketMessageTimeoutMs?: number | null
  /**
   * WebSockets (held handshakes and open sockets) one client address may have at once; one
   * more is answered 429. The address is the scope's `client`, so it honours `proxyHeaders`.
   * `null` for no cap. @default 256
   */
  maxConnectionsPerClient?: number | null
  /** WebSockets the server holds at once; one more is answered 503. `null` for no cap. @default null */
  maxConnections?: number | null
  /**
   * Time a client has to send a request's head (node's `headersTimeout`); a client dribbling
   * headers (slowloris) is answered 408 and dropped. Servers `serve()` creates only. @default 10000
   */
  headersTimeoutMs?: number
  /** Time a client has to send a whole request (node's `requestTimeout`); `null` for none. @default 300000 */
  requestTimeoutMs?: number | null
  /** Largest request head in bytes (node's `maxHeaderSize`), else 431. Servers `serve()` creates only. @default 16384 */
  maxHeaderSize?: number
  /** Most header fields in a request, else 431 (node would silently drop the rest). @default 100 */
  maxHeadersCount?: number
}

/** `SecurityOptions` with every default applied and every value checked. */
export interface ResolvedSecurityOptions {
  allowedOrigins: readonly string[]
  requireOrigin: boolean
  websocketRateLimit: { messagesPerSecond: number; burst: number } | null
  websocketMessageTimeoutMs: number | null
  maxConnectionsPerClient: number | null
  maxConnections: number | null
  headersTimeoutMs: number
  requestTimeoutMs: number | null
  maxHeaderSize: number
  maxHeadersCount: number
}

/** The names of the options above, for `serve()`'s unknown-option check. */
export const SECURITY_OPTION_NAMES: readonly string[] = [
  'allowedOrigins',
  'requireOrigin',
  'websocketRateLimit',
  'websocketMessageTimeoutMs',
  'maxConnectionsPerClient',
  'maxConnections',
  'headersTimeoutMs',
  'requestTimeoutMs',
  'maxHeaderSize',
  'maxHeadersCount',
]

const MAX_TIMER_MS = 2 ** 31 - 1

/** Applies the defaults and checks every option, throwing a TypeError or RangeError naming the bad one. */
export function resolveSecurityOptions(options: SecurityOptions): ResolvedSecurityOptions {
  const headersTimeoutMs = duration(options.headersTimeoutMs, 'headersTimeoutMs', 10_000)
  const requestTimeoutMs =
    options.requestTimeoutMs === null
      ? null
      : duration(options.requestTimeoutMs, 'requestTimeoutMs', 300_000)
  if (requestTimeoutMs !== null && requestTimeoutMs < headersTimeoutMs) {
    throw new RangeError(
      `The requestTimeoutMs option (${requestTimeoutMs}) must not be less than headersTimeoutMs (${headersTimeoutMs}).`,
    )
  }
  return {
    allowedOrigins: origins(options.allowedOrigins),
    requireOrigin: flag(options.requireOrigin, 'requireOrigin'),
    websocketRateLimit: rateLimit(options.websocketRateLimit),
    websocketMessageTimeoutMs:
      options.websocketMessageTimeoutMs === null
        ? null
        : duration(options.websocketMessageTimeoutMs, 'websocketMessageTimeoutMs', 60_000),
    maxConnectionsPerClient: cap(options.maxConnectionsPerClient, 'maxConnectionsPerClient', 256),
    maxConnections: cap(options.maxConnections, 'maxConnections', null),
    headersTimeoutMs,
    requestTimeoutMs,
    maxHeaderSize: count(options.maxHeaderSize, 'maxHeaderSize', 16 * 1024, 1024),
    maxHeadersCount: count(options.maxHeadersCount, 'maxHeadersCount', 100, 1),
  }
}

// --- helpers ---

function origins(value: unknown): readonly string[] {
  if (value === undefined) return []
  if (
    !Array.isArray(value) ||
    !value.every((pattern) => typeof pattern === 'string' && pattern !== '')
  ) {
    throw new TypeError(
      `The allowedOrigins option must be a list of non-empty strings, not ${quoteValue(value)}.`,
    )
  }
  return Object.freeze([...value])
}

function flag(value: unknown, name: string): boolean {
  if (value === undefined) return false
  if (typeof value !== 'boolean') {
    throw new TypeError(`The ${name} option must be a boolean, not ${quoteValue(value)}.`)
  }
  return value
}

function rateLimit(value: unknown): ResolvedSecurityOptions['websocketRateLimit'] {
  if (value === null) return null
  if (value === undefined) return { messagesPerSecond: 100, burst: 200 }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(
      `The websocketRateLimit option must be { messagesPerSecond, burst } or null, not ${quoteValue(value)}.`,
    )
  }
  const { messagesPerSecond = 100, burst = 200, ...rest } = value as Record<string, unknown>
  const [unknown] = Object.keys(rest)
  if (unknown !== undefined) {
    throw new TypeError(`Unknown websocketRateLimit option ${JSON.stringify(unknown)}.`)
  }
  if (typeof messagesPerSecond !== 'number' || !(messagesPerSecond > 0)) {
    throw new RangeError(
      `The websocketRateLimit messagesPerSecond must be a number greater than 0, not ${quoteValue(messagesPerSecond)}.`,
    )
  }
  if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 1) {
    throw new RangeError(
      `The websocketRateLimit burst must be an integer of at least 1, not ${quoteValue(burst)}.`,
    )
  }
  return { messagesPerSecond, burst }
}

function duration(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(
      `The ${name} option must be a number of milliseconds, not ${quoteValue(value)}.`,
    )
  }
  if (value <= 0 || value > MAX_TIMER_MS) {
    throw new RangeError(
      `The ${name} option must be greater than 0 and at most ${MAX_TIMER_MS} ms, not ${value}.`,
    )
  }
  return value
}

function cap(value: unknown, name: string, fallback: number | null): number | null {
  if (value === null) return null
  return value === undefined ? fallback : count(value, name, 0, 1)
}

function count(value: unknown, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new TypeError(`The ${name} option must be an integer, not ${quoteValue(value)}.`)
  }
  if (value < min) throw new RangeError(`The ${name} option must be at least ${min}, not ${value}.`)
  return value
}

// The command-line flags of the server's safe defaults (security-options.ts), for `serve`.
import { resolveSecurityOptions, type SecurityOptions } from './security-options.js'

/** The `node:util` `parseArgs` descriptors of the hardening flags. */
export const SECURITY_ARGS = {
  'allowed-origins': { type: 'string', multiple: true },
  'no-origin-check': { type: 'boolean' },
  'require-origin': { type: 'boolean' },
  'websocket-rate-limit': { type: 'string' },
  'websocket-rate-burst': { type: 'string' },
  'websocket-message-timeout': { type: 'string' },
  'max-connections-per-client': { type: 'string' },
  'max-connections': { type: 'string' },
  'headers-timeout': { type: 'string' },
  'request-timeout': { type: 'string' },
  'max-header-size': { type: 'string' },
  'max-headers-count': { type: 'string' },
} as const

/** The usage lines of the hardening flags. */
export const SECURITY_USAGE: string = `
WebSocket and request hardening (docs/security.md):
      --allowed-origins LIST          origins allowed besides the server's own, comma-separated
                                      OriginValidator patterns (default: same-origin only)
      --no-origin-check               allow every Origin (same as --allowed-origins '*')
      --require-origin                refuse handshakes without an Origin header
      --websocket-rate-limit N        messages per second per WebSocket, 0 = none (default 100)
      --websocket-rate-burst N        messages a WebSocket may send at once (default 200)
      --websocket-message-timeout SECONDS
                                      time to finish a message once begun, 0 = none (default 60)
      --max-connections-per-client N  WebSockets per client address, 0 = no cap (default 256)
      --max-connections N             WebSockets in total, 0 = no cap (default no cap)
      --headers-timeout SECONDS       time to send a request's headers (default 10)
      --request-timeout SECONDS       time to send a whole request, 0 = none (default 300)
      --max-header-size BYTES         largest request head (default 16384)
      --max-headers-count N           most header fields in a request (default 100)
`

type Values = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>

/**
 * Copies the hardening flags found in parsed `values` into `options`. Throws a RangeError or
 * TypeError naming the flag for a bad value; the CLI reports it as a usage error.
 */
export function applySecurityArgs(values: Values, options: SecurityOptions): void {
  const origins = values['allowed-origins']
  if (values['no-origin-check'] === true) {
    if (origins !== undefined) {
      throw new TypeError('--allowed-origins and --no-origin-check cannot be used together.')
    }
    options.allowedOrigins = ['*']
  } else if (Array.isArray(origins)) {
    options.allowedOrigins = origins
      .flatMap((value) => String(value).split(','))
      .map((pattern) => pattern.trim())
      .filter((pattern) => pattern !== '')
  }
  if (values['require-origin'] === true) options.requireOrigin = true

  const rate = number(values, 'websocket-rate-limit', 'decimal')
  const burst = number(values, 'websocket-rate-burst', 'integer')
  if (rate === 0) {
    if (burst !== undefined) {
      throw new TypeError('--websocket-rate-burst needs a --websocket-rate-limit above 0.')
    }
    options.websocketRateLimit = null
  } else if (rate !== undefined || burst !== undefined) {
    if (burst === 0) throw new RangeError('--websocket-rate-burst must be at least 1, not "0".')
    options.websocketRateLimit = {
      ...(rate === undefined ? {} : { messagesPerSecond: rate }),
      ...(burst === undefined ? {} : { burst }),
    }
  }
  const messageTimeout = number(values, 'websocket-message-timeout', 'decimal')
  if (messageTimeout !== undefined) {
    options.websocketMessageTimeoutMs = messageTimeout === 0 ? null : toMs(messageTimeout)
  }
  const perClient = number(values, 'max-connections-per-client', 'integer')
  if (perClient !== undefined) options.maxConnectionsPerClient = perClient === 0 ? null : perClient
  const total = number(values, 'max-connections', 'integer')
  if (total !== undefined) options.maxConnections = total === 0 ? null : total
  const headersTimeout = number(values, 'headers-timeout', 'decimal')
  if (headersTimeout !== undefined) {
    if (headersTimeout === 0) throw new RangeError('--headers-timeout must be above 0, not "0".')
    options.headersTimeoutMs = toMs(headersTimeout)
  }
  const requestTimeout = number(values, 'request-timeout', 'decimal')
  if (requestTimeout !== undefined) {
    options.requestTimeoutMs = requestTimeout === 0 ? null : toMs(requestTimeout)
  }
  const headerSize = number(values, 'max-header-size', 'integer')
  if (headerSize !== undefined) options.maxHeaderSize = headerSize
  const headersCount = number(values, 'max-headers-count', 'integer')
  if (headersCount !== undefined) options.maxHeadersCount = headersCount
  // The ranges serve() enforces, reported now as usage errors.
  resolveSecurityOptions(options)
}

function number(values: Values, flag: string, kind: 'integer' | 'decimal'): number | undefined {
  const value = values[flag]
  if (value === undefined) return undefined
  const pattern = kind === 'integer' ? /^\s*\d+\s*$/ : /^\s*\d+(\.\d+)?\s*$/
  if (typeof value !== 'string' || !pattern.test(value)) {
    const what = kind === 'integer' ? 'a whole number' : 'a number'
    throw new RangeError(`--${flag} must be ${what}, not ${JSON.stringify(value)}.`)
  }
  return Number(value)
}

function toMs(seconds: number): number {
  return Math.max(1, Math.round(seconds * 1000))
}

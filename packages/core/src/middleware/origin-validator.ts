import { quoteValue } from '../quote-value.js'
import type { Application, Receive, Scope, Send } from '../types.js'
import { BaseMiddleware, requireApplication } from './base-middleware.js'
import { matchAllowedOrigin, type ParsedUrl, parseUrl } from './origin-matching.js'
import { WebsocketDenier } from './websocket-denier.js'

/**
 * The hosts Django allows when `DEBUG` is on and `ALLOWED_HOSTS` is empty. Pass it to
 * `AllowedHostsOriginValidator` explicitly for local development.
 */
export const DEBUG_ALLOWED_HOSTS: readonly string[] = Object.freeze([
  'localhost',
  '127.0.0.1',
  '[::1]',
])

/**
 * Wraps a WebSocket application so that only connections whose `Origin` header matches
 * `allowedOrigins` reach it; others are refused (HTTP 403) by `WebsocketDenier`.
 * Patterns, lower-cased before matching: `'*'` (anything, even no `Origin` header);
 * `'example.com'` (that host, any scheme and port); `'.example.com'` (it and every
 * subdomain); `'https://example.com:8443'` (scheme, host and port; the port defaults to
 * 80 for http/ws and 443 for https/wss). `'*.example.com'` is not supported and matches
 * nothing; neither does `'example.com:8000'` without a scheme. The last `Origin` header
 * wins; a missing one is allowed only by `'*'`; an empty list refuses everything.
 * A non-WebSocket scope is a TypeError. Mirrors `channels.security.websocket.OriginValidator`.
 */
export function OriginValidator(
  inner: Application,
  allowedOrigins: readonly string[],
): Application {
  requireApplication(inner, 'OriginValidator')
  return new OriginCheck(inner, requirePatterns(allowedOrigins, 'OriginValidator')).asApplication()
}

/**
 * `OriginValidator(inner, allowedHosts)`, named after Django's `ALLOWED_HOSTS`. An empty list
 * refuses every connection (Django falls back to `DEBUG_ALLOWED_HOSTS` in DEBUG mode; pass
 * that constant to get the same). Mirrors `channels.security.websocket.AllowedHostsOriginValidator`.
 */
export function AllowedHostsOriginValidator(
  inner: Application,
  allowedHosts: readonly string[],
): Application {
  requireApplication(inner, 'AllowedHostsOriginValidator')
  return new OriginCheck(
    inner,
    requirePatterns(allowedHosts, 'AllowedHostsOriginValidator'),
  ).asApplication()
}

/** Origin values whose verdict one validator keeps (a browser app's handshakes share one). */
const KEPT_VERDICTS = 64

class OriginCheck extends BaseMiddleware {
  readonly #patterns: readonly string[]
  /** Verdicts by `Origin` value, so a repeated origin is not parsed again: at most KEPT_VERDICTS. */
  readonly #verdicts = new Map<string, boolean>()

  constructor(inner: Application, patterns: readonly string[]) {
    super(inner)
    this.#patterns = patterns
  }

  override async call(scope: Scope, receive: Receive, send: Send): Promise<void> {
    if (scope.type !== 'websocket') {
      throw new TypeError('You cannot use OriginValidator on a non-WebSocket connection')
    }
    let origin: string | null = null
    // No break: as in Channels, the last Origin header wins.
    for (const header of Array.isArray(scope.headers) ? scope.headers : []) {
      if (Array.isArray(header) && header[0] === 'origin' && typeof header[1] === 'string') {
        origin = header[1]
      }
    }
    if (this.#allows(origin)) await this.inner(scope, receive, send)
    else await WebsocketDenier(scope, receive, send)
  }

  #allows(origin: string | null): boolean {
    if (origin === null) return this.#isValid(null)
    const known = this.#verdicts.get(origin)
    if (known !== undefined) return known
    const verdict = this.#isValid(parseUrl(origin))
    if (this.#verdicts.size < KEPT_VERDICTS) this.#verdicts.set(origin, verdict)
    return verdict
  }

  #isValid(origin: ParsedUrl | null): boolean {
    if (origin === null && !this.#patterns.includes('*')) return false
    return this.#patterns.some((pattern) => pattern === '*' || matchAllowedOrigin(origin, pattern))
  }
}

function requirePatterns(patterns: unknown, who: string): readonly string[] {
  if (!Array.isArray(patterns) || !patterns.every((pattern) => typeof pattern === 'string')) {
    throw new TypeError(
      `${who} needs a list of allowed origins (strings); got ${quoteValue(patterns)}.`,
    )
  }
  return Object.freeze([...patterns])
}

import type { IncomingMessage } from 'node:http'
import { type Headers, matchAllowedOrigin, type ParsedUrl, parseUrl } from '@node-channels/core'
import type { ResolvedSecurityOptions } from './security-options.js'

/** Why a handshake's origin was refused, for the log line; `null` when it is allowed. */
export type OriginRefusal = string | null

/** The options the origin check reads; `allowedOrigins` must not change (verdicts are kept per list). */
export type OriginOptions = Pick<ResolvedSecurityOptions, 'allowedOrigins' | 'requireOrigin'>

/**
 * The server's own defence against cross-site WebSocket hijacking, run on every handshake
 * before the application: the `Origin` must be same-origin with the `Host` header (same host
 * and port, the port defaulting from the origin's scheme) or match one of `allowedOrigins`
 * (`OriginValidator`'s patterns; `'*'` allows everything). A handshake without an `Origin`
 * comes from a non-browser client and passes unless `requireOrigin` is set; more than one
 * `Origin` header, or the value `null` (sandboxed frames, `file:` pages), is refused.
 */
export function checkOrigin(req: IncomingMessage, options: OriginOptions): OriginRefusal {
  // Version 8 (hybi-08) clients name the header Sec-WebSocket-Origin.
  const name = req.headers['sec-websocket-version'] === '8' ? 'sec-websocket-origin' : 'origin'
  let first: string | undefined
  let count = 0
  const raw = req.rawHeaders
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const field = raw[i] ?? ''
    // Lower-cased only at the right length: most fields are not it, and each would be a new string.
    if (field.length === name.length && field.toLowerCase() === name) {
      first ??= raw[i + 1] ?? ''
      count++
    }
  }
  return judgeOrigin(first, count, req.headers.host, options)
}

/**
 * `checkOrigin()` on an HTTP scope's headers, for transports that open a WebSocket session
 * over plain HTTP requests (the long-polling `open`): the same rules and options.
 */
export function checkScopeOrigin(headers: Headers, options: OriginOptions): OriginRefusal {
  let first: string | undefined
  let count = 0
  let host: string | undefined
  for (const [name, value] of headers) {
    if (name === 'origin') {
      first ??= value
      count++
    } else if (name === 'host') host ??= value
  }
  return judgeOrigin(first, count, host, options)
}

/** True when the origin names the host and port of the `Host` header. */
export function isSameOrigin(origin: ParsedUrl, host: string | undefined): boolean {
  if (host === undefined || origin.hostname === null || origin.port === 'invalid') return false
  const target = parseUrl(`//${host.trim()}`)
  if (target.hostname === null || target.port === 'invalid') return false
  const fallback = defaultPort(origin.scheme)
  return (
    target.hostname === origin.hostname && (target.port ?? fallback) === (origin.port ?? fallback)
  )
}

// --- helpers ---

/** The check itself, on the first of the `count` `Origin` values a request carried and its `Host`. */
function judgeOrigin(
  value: string | undefined,
  count: number,
  host: string | undefined,
  { allowedOrigins, requireOrigin }: OriginOptions,
): OriginRefusal {
  if (allowedOrigins.includes('*')) return null
  if (value === undefined) return requireOrigin ? 'no Origin header' : null
  if (count > 1) return 'more than one Origin header'
  let byHost = VERDICTS.get(allowedOrigins)
  if (byHost === undefined) {
    byHost = new Map()
    VERDICTS.set(allowedOrigins, byHost)
  }
  const hostKey = host ?? ''
  let byOrigin = byHost.get(hostKey)
  const known = byOrigin?.get(value)
  if (known !== undefined) return known
  const verdict = judgeOneOrigin(value, host, allowedOrigins)
  if (byOrigin === undefined && byHost.size < KEPT_HOSTS) {
    byOrigin = new Map()
    byHost.set(hostKey, byOrigin)
  }
  if (byOrigin !== undefined && byOrigin.size < KEPT_ORIGINS) byOrigin.set(value, verdict)
  return verdict
}

/** `judgeOrigin` for one `Origin` value. */
function judgeOneOrigin(
  value: string,
  host: string | undefined,
  allowedOrigins: readonly string[],
): OriginRefusal {
  const origin = parseUrl(value.trim())
  if (isSameOrigin(origin, host)) return null
  if (allowedOrigins.some((pattern) => matchAllowedOrigin(origin, pattern))) return null
  return `origin ${JSON.stringify(value)} is neither the server's own (Host ${JSON.stringify(host ?? '')}) nor allowed`
}

/**
 * Verdicts already reached, by `allowedOrigins` (a server's frozen list), `Host` value and
 * `Origin` value: a browser app's handshakes all carry the same two, and judging them again
 * cost each handshake about 0.9 KiB of garbage (19.5 -> 18.6 KiB allocated per handshake,
 * V8's sampling heap profiler over 2,000 connections). Bounded, so clients sending ever
 * new values are judged afresh rather than remembered.
 */
const VERDICTS = new WeakMap<readonly string[], Map<string, Map<string, OriginRefusal>>>()
const KEPT_HOSTS = 16
const KEPT_ORIGINS = 64

function defaultPort(scheme: string | null): number | null {
  if (scheme === 'http' || scheme === 'ws') return 80
  if (scheme === 'https' || scheme === 'wss') return 443
  return null
}

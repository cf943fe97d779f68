// Origin matching exactly as Channels does it, on a port of the parts of Python's
// `urllib.parse.urlsplit` that Channels relies on (not the WHATWG URL parser, which
// normalises hosts differently).

/** An origin or pattern split as Python's `urlparse` would. `port` is `'invalid'` where Python raises. */
export interface ParsedUrl {
  /** Lower-cased; `null` when there is none (Python's `scheme=None`). */
  scheme: string | null
  /** Lower-cased, without brackets; `null` when there is none. */
  hostname: string | null
  port: number | null | 'invalid'
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+\-.]*$/
const UNSAFE = /[\t\r\n]/g
// Python strips leading C0 controls and spaces (WHATWG's definition).
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping C0 controls is the point
const LEADING_C0 = /^[\x00-\x20]+/

/** Splits `url` like Python's `urlparse(url, scheme=None)`; input Python rejects gives no hostname. */
export function parseUrl(url: string): ParsedUrl {
  let rest = url.replace(LEADING_C0, '').replace(UNSAFE, '')
  let scheme: string | null = null
  const colon = rest.indexOf(':')
  if (colon > 0 && SCHEME.test(rest.slice(0, colon))) {
    scheme = rest.slice(0, colon).toLowerCase()
    rest = rest.slice(colon + 1)
  }
  if (!rest.startsWith('//')) return { scheme, hostname: null, port: null }
  const afterSlashes = rest.slice(2)
  const end = afterSlashes.search(/[/?#]/)
  const netloc = end === -1 ? afterSlashes : afterSlashes.slice(0, end)
  // Python raises "Invalid IPv6 URL" for unbalanced brackets.
  if (netloc.includes('[') !== netloc.includes(']')) return { scheme, hostname: null, port: null }
  const hostinfo = netloc.slice(netloc.lastIndexOf('@') + 1)
  let host: string
  let port: string
  const open = hostinfo.indexOf('[')
  if (open !== -1) {
    const bracketed = hostinfo.slice(open + 1)
    const close = bracketed.indexOf(']')
    host = close === -1 ? bracketed : bracketed.slice(0, close)
    const after = close === -1 ? '' : bracketed.slice(close + 1)
    port = after.includes(':') ? after.slice(after.indexOf(':') + 1) : ''
  } else {
    const portColon = hostinfo.indexOf(':')
    host = portColon === -1 ? hostinfo : hostinfo.slice(0, portColon)
    port = portColon === -1 ? '' : hostinfo.slice(portColon + 1)
  }
  return { scheme, hostname: host === '' ? null : lowerHost(host), port: parsePort(port) }
}

/**
 * True when `origin` matches `pattern`: a pattern without a scheme compares host names only
 * (`.example.com` also matches every subdomain); a pattern with a scheme must also match
 * the scheme and the port (80 for http/ws, 443 for https/wss when omitted). `*` is handled
 * by the caller. Mirrors `OriginValidator.match_allowed_origin`.
 */
export function matchAllowedOrigin(origin: ParsedUrl | null, pattern: string): boolean {
  if (origin === null || origin.hostname === null) return false
  const parsedPattern = parseUrl(pattern.toLowerCase())
  if (parsedPattern.scheme === null) {
    return isSameDomain(origin.hostname, parseUrl(`//${pattern}`).hostname || pattern)
  }
  const originPort = defaultPort(origin)
  const patternPort = defaultPort(parsedPattern)
  // Python raises for an invalid port; the connection is refused rather than crashed.
  if (originPort === 'invalid' || patternPort === 'invalid') return false
  return (
    parsedPattern.scheme === origin.scheme &&
    originPort === patternPort &&
    isSameDomain(origin.hostname, parsedPattern.hostname)
  )
}

/**
 * True when `host` is `pattern`, or `pattern` starts with `.` and `host` is that domain or
 * one of its subdomains. Mirrors `django.http.request.is_same_domain`.
 */
export function isSameDomain(host: string, pattern: string | null): boolean {
  if (!pattern) return false
  const lower = pattern.toLowerCase()
  return (
    (lower.startsWith('.') && (host.endsWith(lower) || host === lower.slice(1))) || lower === host
  )
}

function defaultPort(url: ParsedUrl): number | null | 'invalid' {
  if (url.port !== null) return url.port
  if (url.scheme === 'http' || url.scheme === 'ws') return 80
  if (url.scheme === 'https' || url.scheme === 'wss') return 443
  return null
}

function parsePort(port: string): number | null | 'invalid' {
  if (port === '') return null
  if (!/^[0-9]+$/.test(port)) return 'invalid'
  const value = Number.parseInt(port, 10)
  return value <= 65_535 ? value : 'invalid'
}

/** Python lower-cases the host but keeps an IPv6 zone (`%eth0`) as written. */
function lowerHost(host: string): string {
  const percent = host.indexOf('%')
  return percent === -1
    ? host.toLowerCase()
    : host.slice(0, percent).toLowerCase() + host.slice(percent)
}

import type { Message } from '../types.js'

/** A `SameSite` cookie attribute value, any case, as Django accepts. */
export type SameSite = 'strict' | 'lax' | 'none' | 'Strict' | 'Lax' | 'None' | (string & {})

/** Options for `setCookie()`. Mirrors the keyword arguments of Channels' `CookieMiddleware.set_cookie`. */
export interface CookieOptions {
  /** Lifetime; written as `Max-Age` in whole seconds (rounded down) and, unless `expires` is given, as `expires`. */
  maxAgeMs?: number | null
  /** An HTTP date string, written verbatim, or a `Date`. */
  expires?: string | Date | null
  /** @default '/' */
  path?: string | null
  /** @default null (the cookie is sent to the issuing host only) */
  domain?: string | null
  /** @default false */
  secure?: boolean
  /** @default false */
  httpOnly?: boolean
  /** `'strict'`, `'lax'` or `'none'` in any case, or `null` for no attribute. @default 'lax' */
  sameSite?: SameSite | null
  /** The clock used to compute `expires` from `maxAgeMs`. @default Date.now */
  now?: () => number
}

/** Options for `deleteCookie()`: the attributes that must match the cookie being deleted. */
export type DeleteCookieOptions = Pick<CookieOptions, 'path' | 'domain' | 'secure' | 'sameSite'>

/** The expiry Django writes when it deletes a cookie. */
const EPOCH = 'Thu, 01-Jan-1970 00:00:00 GMT'

// RFC 7230 `token` characters, plus ':' which Python's http.cookies also accepts in names.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~:0-9A-Za-z]+$/
// RFC 6265 `cookie-octet`: no controls, whitespace, DQUOTE, comma, semicolon or backslash.
const COOKIE_VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/
// Attribute values (path, domain, expires): printable ASCII without ';'.
const ATTRIBUTE_VALUE = /^[\x20-\x3A\x3C-\x7E]*$/
// Attribute names Python's http.cookies refuses as cookie names.
const RESERVED = new Set([
  'expires',
  'path',
  'comment',
  'domain',
  'max-age',
  'secure',
  'httponly',
  'version',
  'samesite',
  'partitioned',
])
const SAME_SITE = new Set(['strict', 'lax', 'none'])
// What Python's str.strip() removes from latin-1 text.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these control characters are what Python strips
const PY_WHITESPACE = /^[\t\n\v\f\r\x1c-\x20\x85\xa0]+|[\t\n\v\f\r\x1c-\x20\x85\xa0]+$/g

/**
 * Parses a `Cookie` header into a null-prototype object (so `__proto__` or `constructor`
 * are plain cookie names). Never throws: garbage gives whatever pairs can be read.
 * A later duplicate name wins. Mirrors `django.http.parse_cookie`.
 */
export function parseCookie(header: string): Record<string, string> {
  const cookies: Record<string, string> = Object.create(null)
  for (const chunk of header.split(';')) {
    const equals = chunk.indexOf('=')
    // A chunk without '=' is a value with an empty name (Mozilla bug 169091), as in Django.
    const key = equals === -1 ? '' : pyStrip(chunk.slice(0, equals))
    const value = pyStrip(equals === -1 ? chunk : chunk.slice(equals + 1))
    if (key !== '' || value !== '') cookies[key] = unquote(value)
  }
  return cookies
}

/**
 * Appends a `['set-cookie', ...]` header to an `http.response.start` message (created when
 * missing), in Django's format: `Testing-Key=testing-value; Path=/; SameSite=lax`.
 * Throws a TypeError quoting the value for a name, value or attribute that could inject
 * into the header, and for an unknown `sameSite`.
 * Mirrors `channels.sessions.CookieMiddleware.set_cookie`.
 */
export function setCookie(
  message: Message,
  key: string,
  value = '',
  options: CookieOptions = {},
): void {
  requireCookieName(key)
  if (typeof value !== 'string' || !COOKIE_VALUE.test(value)) {
    throw new TypeError(
      `Cookie value ${JSON.stringify(value)} contains a character not allowed in a cookie; encode it first (for example with encodeURIComponent).`,
    )
  }
  const { path = '/', domain = null, secure = false, httpOnly = false, sameSite = 'lax' } = options
  const { maxAgeMs = null, now = Date.now } = options

  let expires: string | null = null
  if (options.expires instanceof Date) {
    if (Number.isNaN(options.expires.getTime()))
      throw new TypeError('Cookie expires is an invalid Date.')
    expires = options.expires.toUTCString()
  } else if (options.expires != null) {
    expires = requireAttribute('expires', options.expires)
  }
  let maxAgeSeconds: number | null = null
  if (maxAgeMs !== null) {
    if (typeof maxAgeMs !== 'number' || !Number.isFinite(maxAgeMs) || maxAgeMs < 0) {
      throw new RangeError(
        `Cookie maxAgeMs must be a non-negative number of milliseconds; got ${JSON.stringify(maxAgeMs)}.`,
      )
    }
    maxAgeSeconds = Math.floor(maxAgeMs / 1000)
    // Old browsers only understand `expires`, so Django always writes both.
    expires ??= new Date(now() + maxAgeSeconds * 1000).toUTCString()
  }
  requireSameSite(sameSite)

  // Attributes in the order Python's Morsel writes them (sorted by attribute key).
  const parts = [`${key}=${value === '' ? '""' : value}`]
  if (domain !== null) parts.push(`Domain=${requireAttribute('domain', domain)}`)
  if (expires !== null) parts.push(`expires=${expires}`)
  if (httpOnly) parts.push('HttpOnly')
  if (maxAgeSeconds !== null) parts.push(`Max-Age=${maxAgeSeconds}`)
  if (path !== null) parts.push(`Path=${requireAttribute('path', path)}`)
  if (sameSite !== null) parts.push(`SameSite=${sameSite}`)
  if (secure) parts.push('Secure')
  // Only now, once everything was checked: a refused cookie leaves the message untouched.
  responseHeaders(message).push(['set-cookie', parts.join('; ')])
}

/**
 * Appends a `set-cookie` header that makes the browser drop the cookie (`Max-Age=0` and an
 * expiry in 1970). Mirrors `channels.sessions.CookieMiddleware.delete_cookie`.
 */
export function deleteCookie(
  message: Message,
  key: string,
  options: DeleteCookieOptions = {},
): void {
  setCookie(message, key, '', { ...options, maxAgeMs: 0, expires: EPOCH })
}

/** Throws a TypeError unless `name` can be a cookie name (an RFC 7230 token, not an attribute name). */
export function requireCookieName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !COOKIE_NAME.test(name)) {
    throw new TypeError(`Cookie name ${JSON.stringify(name)} is not a valid token.`)
  }
  if (RESERVED.has(name.toLowerCase())) {
    throw new TypeError(`Cookie name ${JSON.stringify(name)} is a reserved cookie attribute name.`)
  }
}

/** Throws a TypeError unless `sameSite` is strict, lax or none in any case, or null. */
export function requireSameSite(sameSite: unknown): asserts sameSite is SameSite | null {
  if (
    sameSite !== null &&
    (typeof sameSite !== 'string' || !SAME_SITE.has(sameSite.toLowerCase()))
  ) {
    throw new TypeError(
      `Invalid sameSite ${JSON.stringify(sameSite)}: it must be "strict", "lax" or "none" (any case).`,
    )
  }
}

// --- helpers ---

function responseHeaders(message: Message): Array<[string, string]> {
  if (message.headers === undefined) message.headers = []
  if (!Array.isArray(message.headers)) {
    throw new TypeError(
      `Cannot add a cookie: the message's headers are not a list; got ${JSON.stringify(message.headers)}.`,
    )
  }
  return message.headers
}

function requireAttribute(name: string, value: unknown): string {
  if (typeof value !== 'string' || !ATTRIBUTE_VALUE.test(value)) {
    throw new TypeError(
      `Cookie ${name} ${JSON.stringify(value)} contains a character not allowed in a cookie attribute.`,
    )
  }
  return value
}

function pyStrip(text: string): string {
  return text.replace(PY_WHITESPACE, '')
}

/** Python's `http.cookies._unquote`: strips surrounding quotes and decodes `\ooo` and `\c`. */
function unquote(value: string): string {
  if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return value
  return value
    .slice(1, -1)
    .replace(
      /\\(?:([0-3][0-7][0-7])|([\s\S]))/g,
      (_match, octal: string | undefined, char: string | undefined) =>
        octal === undefined ? (char ?? '') : String.fromCharCode(Number.parseInt(octal, 8)),
    )
}

/*
 * Scopes live as long as their connection, and each carries its request headers. Most names,
 * and many values (the Host, the User-Agent, `Upgrade: websocket`), are the same for every
 * client, yet each request brings fresh copies. These helpers hand back one shared string
 * instead, so that an idle connection keeps only what is its own.
 */

/** Lower-case names of common request headers. */
const NAMES = new Map(
  [
    'host',
    'upgrade',
    'connection',
    'origin',
    'sec-websocket-key',
    'sec-websocket-version',
    'sec-websocket-protocol',
    'sec-websocket-extensions',
    'user-agent',
    'accept',
    'accept-encoding',
    'accept-language',
    'cache-control',
    'pragma',
    'cookie',
    'authorization',
    'content-type',
    'content-length',
    'referer',
    'sec-fetch-dest',
    'sec-fetch-mode',
    'sec-fetch-site',
    'x-forwarded-for',
    'x-forwarded-proto',
    'x-real-ip',
  ].map((name) => [name, name]),
)

/**
 * Headers whose values tend to repeat across clients. Secrets (cookies, credentials) and
 * per-connection values (the WebSocket key) are not among them: they are never kept here.
 */
const REPEATED_VALUES = new Set([
  'host',
  'upgrade',
  'connection',
  'origin',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'user-agent',
  'accept',
  'accept-encoding',
  'accept-language',
  'cache-control',
  'pragma',
  'sec-fetch-dest',
  'sec-fetch-mode',
  'sec-fetch-site',
  'x-forwarded-proto',
])

/** Bounds of the value table: it only grows, up to this many values and characters. */
const MAX_VALUES = 1024
const MAX_VALUE_CHARS = 128 * 1024
const MAX_VALUE_LENGTH = 1024

const values = new Map<string, string>()
let valueChars = 0

/** How clients spelled the common names (`Sec-WebSocket-Key`), each with its shared lower-case name. */
const spellings = new Map<string, string>()
/** Bound of the spelling table (a client can spell a name in many cases, but not make it grow). */
const MAX_SPELLINGS = 256

/**
 * The lower-case name of a header field as the client spelled it: the shared copy for a
 * common name, found without lower-casing (a new string each time) once that spelling was
 * seen; any other name, lower-cased.
 */
export function sharedHeaderName(field: string): string {
  const known = spellings.get(field)
  if (known !== undefined) return known
  const lower = field.toLowerCase()
  const shared = NAMES.get(lower)
  if (shared === undefined) return lower
  if (spellings.size < MAX_SPELLINGS) spellings.set(field, shared)
  return shared
}

/**
 * The shared copy of a header value, for headers whose values repeat across clients; other
 * values come back as they are. The table stops growing at its bounds, so hostile clients
 * cannot make it large, only full.
 */
export function sharedHeaderValue(name: string, value: string): string {
  if (!REPEATED_VALUES.has(name) || value.length > MAX_VALUE_LENGTH) return value
  const known = values.get(value)
  if (known !== undefined) return known
  if (values.size < MAX_VALUES && valueChars + value.length <= MAX_VALUE_CHARS) {
    values.set(value, value)
    valueChars += value.length
  }
  return value
}

/** Frozen `[name, value]` pairs of repeated headers, by name then value (within the same bounds). */
const pairs = new Map<string, Map<string, Readonly<[string, string]>>>()
let pairCount = 0

/**
 * A scope's `[name, value]` header pair, frozen as ASGI's tuples are: one shared pair for a
 * header whose value repeats across clients, a pair of its own for any other.
 */
export function sharedHeaderPair(name: string, value: string): [string, string] {
  if (!REPEATED_VALUES.has(name) || value.length > MAX_VALUE_LENGTH) {
    return Object.freeze([name, value]) as [string, string]
  }
  let byValue = pairs.get(name)
  const known = byValue?.get(value)
  if (known !== undefined) return known as [string, string]
  const pair = Object.freeze([name, sharedHeaderValue(name, value)] as [string, string])
  if (pairCount < MAX_VALUES) {
    if (byValue === undefined) {
      byValue = new Map()
      pairs.set(name, byValue)
    }
    byValue.set(value, pair)
    pairCount += 1
  }
  return pair as [string, string]
}

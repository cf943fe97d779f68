import { DecodeError, Decoder, Encoder } from '@msgpack/msgpack'

/** Nesting deeper than this is refused on both sides (the msgpack encoder's own limit). */
const MAX_DEPTH = 100
const UINT32_LIMIT = 2 ** 32
const INT32_MIN = -(2 ** 31)
const INT64_MIN = -(2n ** 63n)
const UINT64_LIMIT = 2n ** 64n
const SUPPORTED =
  'A channel layer message must contain only plain objects, arrays, strings, numbers, bigints, booleans, null and Uint8Array'

/**
 * Integers that need 64 bits are handed to the encoder as bigints: with `useBigInt64` it writes
 * those as uint64/int64 exactly as Python's msgpack does, while small numbers keep the smallest
 * encoding. (With `useBigInt64`, a *number* above 32 bits would become a float64.)
 */
const encoder = new Encoder({ useBigInt64: true, ignoreUndefined: true, maxDepth: MAX_DEPTH })
const decoder = new Decoder({ useBigInt64: true, mapKeyConverter: convertMapKey })
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Encodes a message as channels_redis does (`msgpack.packb(message, use_bin_type=True)`):
 * strings as msgpack str, Uint8Array as bin, integers in their smallest encoding (64-bit ones
 * as uint64/int64, from numbers or bigints), other numbers as float64, objects as maps.
 * Values Python could not read back (Map, Set, Date, class instances, functions, integers past
 * 64 bits) are refused with a TypeError naming where they are; lone UTF-16 surrogates are
 * replaced, since Python would fail to decode the whole message. The returned bytes are a view
 * of a shared buffer, valid until the next call.
 */
export function encodeMessage(message: unknown): Uint8Array {
  // Most messages need no conversion: they are encoded as they are, without a converted copy.
  return encoder.encodeSharedRef(isWireReady(message, 0) ? message : toWire(message, 'message', 0))
}

/**
 * True when `toWire()` would return an equal value and throw nothing, so the encoder can take
 * the value itself: well-formed strings, numbers outside the 32-to-64-bit integer range, no
 * bigints, only plain objects and arrays, within the depth limit. Anything else is converted
 * (or refused) by `toWire()`.
 */
function isWireReady(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
      return (value as string & { isWellFormed(): boolean }).isWellFormed()
    case 'number':
      return !(Number.isSafeInteger(value) && (value >= UINT32_LIMIT || value < INT32_MIN))
    case 'boolean':
    case 'undefined':
      return true
    case 'object':
      break
    default:
      return false
  }
  if (value === null || value instanceof Uint8Array) return true
  if (depth >= MAX_DEPTH) return false
  if (Array.isArray(value)) {
    for (const item of value) if (!isWireReady(item, depth + 1)) return false
    return true
  }
  const prototype = Object.getPrototypeOf(value)
  if (prototype !== Object.prototype && prototype !== null) return false
  for (const key in value) {
    if (!(key as string & { isWellFormed(): boolean }).isWellFormed()) return false
    if (!isWireReady((value as Record<string, unknown>)[key], depth + 1)) return false
  }
  return true
}

/**
 * Decodes msgpack written by channels_redis (`msgpack.unpackb(raw=False)`): str becomes a
 * string, bin a Uint8Array (a copy), integers numbers, or bigints when they are beyond
 * `Number.MAX_SAFE_INTEGER`. Throws DecodeError for bytes that are not exactly one msgpack
 * value or hold extension types.
 */
export function decodeMessage(bytes: Uint8Array): unknown {
  return fromWire(decoder.decode(bytes), 0)
}

function toWire(value: unknown, path: string, depth: number): unknown {
  switch (typeof value) {
    case 'string':
      return (value as string & { isWellFormed(): boolean }).isWellFormed()
        ? value
        : (value as string & { toWellFormed(): string }).toWellFormed()
    case 'number':
      // Python writes ints beyond 32 bits as uint64/int64: so must we (float64 would turn 2**40 into 2**40.0).
      return Number.isSafeInteger(value) && (value >= UINT32_LIMIT || value < INT32_MIN)
        ? BigInt(value)
        : value
    case 'bigint':
      if (value < INT64_MIN || value >= UINT64_LIMIT) {
        throw new TypeError(
          `A channel layer message must hold integers that fit in 64 bits, not ${value} (at ${path}).`,
        )
      }
      // Small bigints get msgpack's smallest encoding, as the same int would in Python.
      return value >= BigInt(INT32_MIN) && value < BigInt(UINT32_LIMIT) ? Number(value) : value
    case 'boolean':
    case 'undefined':
      return value
    case 'object':
      break
    default:
      throw new TypeError(`${SUPPORTED}, not a ${typeof value} (at ${path}).`)
  }
  if (value === null || value instanceof Uint8Array) return value
  if (depth >= MAX_DEPTH) {
    throw new TypeError(
      `A channel layer message must not be nested deeper than ${MAX_DEPTH} levels (at ${path}).`,
    )
  }
  if (Array.isArray(value)) {
    return value.map((item, index) => toWire(item, `${path}[${index}]`, depth + 1))
  }
  const prototype = Object.getPrototypeOf(value)
  if (prototype !== Object.prototype && prototype !== null) {
    const kind = (value as { constructor?: { name?: unknown } }).constructor?.name
    throw new TypeError(
      `${SUPPORTED}, not a ${typeof kind === 'string' ? kind : 'non-plain object'} (at ${path}).`,
    )
  }
  // A null prototype, so a "__proto__" key is plain data here, as it is in Python.
  const result: Record<string, unknown> = Object.create(null)
  for (const [key, item] of Object.entries(value)) {
    const wireKey = toWire(key, path, depth) as string
    result[wireKey] = toWire(item, `${path}${formatKey(key)}`, depth + 1)
  }
  return result
}

function fromWire(value: unknown, depth: number): unknown {
  if (typeof value === 'bigint') {
    return Number.isSafeInteger(Number(value)) ? Number(value) : value
  }
  if (typeof value !== 'object' || value === null) return value
  if (value instanceof Uint8Array) return new Uint8Array(value)
  if (depth >= MAX_DEPTH)
    throw new DecodeError(`The message is nested deeper than ${MAX_DEPTH} levels.`)
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      value[index] = fromWire(value[index], depth + 1)
    }
    return value
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) {
    throw new DecodeError(
      'The message holds a msgpack extension type, which channels_redis never writes.',
    )
  }
  const record = value as Record<string, unknown>
  for (const key of Object.keys(record)) record[key] = fromWire(record[key], depth + 1)
  return record
}

/** Map keys: str as is; bin (Python bytes keys) as UTF-8; numbers as their decimal string. */
function convertMapKey(key: unknown): string | number {
  let text: string
  if (typeof key === 'string') text = key
  else if (typeof key === 'number' || typeof key === 'bigint') text = String(key)
  else if (key instanceof Uint8Array) {
    try {
      text = strictUtf8.decode(key)
    } catch {
      throw new DecodeError('A map key is bytes that are not UTF-8.')
    }
  } else
    throw new DecodeError(
      `A map key has the unsupported type ${key === null ? 'nil' : typeof key}.`,
    )
  if (text === '__proto__') throw new DecodeError('The map key "__proto__" is not allowed.')
  return text
}

function formatKey(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`
}

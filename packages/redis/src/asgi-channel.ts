import type { ChannelListCache } from './channel-list-cache.js'

/** msgpack of the string "__asgi_channel__" (fixstr of 16 bytes). */
export const ASGI_CHANNEL_KEY: Uint8Array = Uint8Array.from(
  Buffer.from('\xb0__asgi_channel__', 'latin1'),
)

/** A stored message split into the msgpack of the message itself and its `__asgi_channel__`. */
export interface SplitMessage {
  /** The message map without its last entry (a copy): decode it as the message. */
  body: Uint8Array
  /** The channel name (`send()`) or names (`group_send()`). */
  channels: string | readonly string[]
}

/**
 * Splits a stored message whose last map entry is `__asgi_channel__`, as channels_redis and
 * this layer write it, reading the channel names straight from the bytes: a group message
 * naming hundreds of channels is not decoded name by name by the generic msgpack decoder.
 * Returns null for anything else (no such last entry, malformed or trailing bytes), which is
 * then decoded, or refused, by the generic decoder. With `lists`, a list of names whose bytes
 * were decoded lately is taken from there.
 */
export function splitAsgiChannel(
  payload: Uint8Array,
  lists?: ChannelListCache,
): SplitMessage | null {
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)
  const header = readMapHeader(bytes)
  if (header === null || header.count === 0) return null
  let offset = header.headerLength
  let lastKey = -1
  for (let index = 0; index < header.count; index++) {
    if (index === header.count - 1) lastKey = offset
    offset = skipValue(bytes, offset)
    if (offset < 0) return null
    offset = skipValue(bytes, offset)
    if (offset < 0) return null
  }
  if (offset !== bytes.length) return null
  const valueAt = lastKey + ASGI_CHANNEL_KEY.length
  if (valueAt > bytes.length || !bytes.subarray(lastKey, valueAt).equals(ASGI_CHANNEL_KEY)) {
    return null
  }
  const channels = readCachedChannels(bytes, valueAt, lists)
  if (channels === null) return null
  const newHeader = mapHeader(header.count - 1)
  const body = new Uint8Array(newHeader.length + lastKey - header.headerLength)
  body.set(newHeader, 0)
  body.set(bytes.subarray(header.headerLength, lastKey), newHeader.length)
  return { body, channels }
}

/** The count and header size of a msgpack map at the start of `bytes`, or null if it is not one. */
export function readMapHeader(bytes: Uint8Array): { count: number; headerLength: number } | null {
  const first = bytes[0] ?? 0
  if (first >= 0x80 && first <= 0x8f) return { count: first & 0x0f, headerLength: 1 }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (first === 0xde && bytes.length >= 3) return { count: view.getUint16(1), headerLength: 3 }
  if (first === 0xdf && bytes.length >= 5) return { count: view.getUint32(1), headerLength: 5 }
  return null
}

/** The smallest msgpack map header for `count` entries. */
export function mapHeader(count: number): Uint8Array {
  if (count < 16) return Uint8Array.of(0x80 | count)
  const header = new Uint8Array(count < 0x10000 ? 3 : 5)
  const view = new DataView(header.buffer)
  if (count < 0x10000) {
    header[0] = 0xde
    view.setUint16(1, count)
  } else {
    header[0] = 0xdf
    view.setUint32(1, count)
  }
  return header
}

/** `readChannels`, through `lists` when given: a list read before is not decoded again. */
function readCachedChannels(
  bytes: Buffer,
  offset: number,
  lists: ChannelListCache | undefined,
): string | readonly string[] | null {
  // Only arrays (group messages) are kept: a single name is read as it is.
  const first = bytes[offset] ?? 0
  const array = (first >= 0x90 && first <= 0x9f) || first === 0xdc || first === 0xdd
  if (lists === undefined || !array) return readChannels(bytes, offset)
  const list = bytes.subarray(offset)
  const kept = lists.get(list)
  if (kept !== undefined) return kept
  const channels = readChannels(bytes, offset)
  return Array.isArray(channels) ? lists.set(list, channels) : channels
}

/** A str or an array of str at `offset` running to the end, as strings; null for anything else. */
function readChannels(bytes: Buffer, offset: number): string | string[] | null {
  const str = readStr(bytes, offset)
  if (str !== null) return str.end === bytes.length ? str.value : null
  const first = bytes[offset] ?? 0
  let count: number
  if (first >= 0x90 && first <= 0x9f) {
    count = first & 0x0f
    offset += 1
  } else if (first === 0xdc && offset + 3 <= bytes.length) {
    count = bytes.readUInt16BE(offset + 1)
    offset += 3
  } else if (first === 0xdd && offset + 5 <= bytes.length) {
    count = bytes.readUInt32BE(offset + 1)
    offset += 5
  } else return null
  if (count > bytes.length - offset) return null
  const channels: string[] = new Array(count)
  for (let index = 0; index < count; index++) {
    const name = readStr(bytes, offset)
    if (name === null) return null
    channels[index] = name.value
    offset = name.end
  }
  return offset === bytes.length ? channels : null
}

function readStr(bytes: Buffer, offset: number): { value: string; end: number } | null {
  const first = bytes[offset] ?? 0
  let start: number
  let length: number
  if (first >= 0xa0 && first <= 0xbf) {
    start = offset + 1
    length = first & 0x1f
  } else if (first === 0xd9 && offset + 2 <= bytes.length) {
    start = offset + 2
    length = bytes[offset + 1] ?? 0
  } else if (first === 0xda && offset + 3 <= bytes.length) {
    start = offset + 3
    length = bytes.readUInt16BE(offset + 1)
  } else if (first === 0xdb && offset + 5 <= bytes.length) {
    start = offset + 5
    length = bytes.readUInt32BE(offset + 1)
  } else return null
  const end = start + length
  if (end > bytes.length) return null
  return { value: bytes.toString('utf8', start, end), end }
}

/** Fixed sizes after the type byte, for the types that have one (-1: not a fixed-size type). */
const FIXED = new Int8Array(256).fill(-1)
for (const [type, size] of [
  [0xc0, 0],
  [0xc2, 0],
  [0xc3, 0],
  [0xca, 4],
  [0xcb, 8],
  [0xcc, 1],
  [0xcd, 2],
  [0xce, 4],
  [0xcf, 8],
  [0xd0, 1],
  [0xd1, 2],
  [0xd2, 4],
  [0xd3, 8],
  [0xd4, 2],
  [0xd5, 3],
  [0xd6, 5],
  [0xd7, 9],
  [0xd8, 17],
] as const) {
  FIXED[type] = size
}

/**
 * The offset just past the msgpack value at `offset` (with everything nested in it), or -1
 * when the bytes end first or hold a byte that starts no value. Iterative: nesting costs no
 * stack, and every step moves forward, so it ends within `bytes.length` steps.
 */
function skipValue(bytes: Buffer, offset: number): number {
  let pending = 1
  const length = bytes.length
  while (pending > 0) {
    if (offset >= length) return -1
    const type = bytes[offset] as number
    pending--
    if (type <= 0x7f || type >= 0xe0) {
      offset += 1
    } else if (type <= 0x8f) {
      pending += 2 * (type & 0x0f)
      offset += 1
    } else if (type <= 0x9f) {
      pending += type & 0x0f
      offset += 1
    } else if (type <= 0xbf) {
      offset += 1 + (type & 0x1f)
    } else if (FIXED[type] !== -1) {
      offset += 1 + (FIXED[type] as number)
    } else {
      const sized = sizedValue(bytes, offset, type)
      if (sized === null) return -1
      offset = sized.end
      pending += sized.items
    }
    if (pending > length) return -1
  }
  return offset <= length ? offset : -1
}

/** str/bin/ext 8-32 and array/map 16-32: where the value (or its header) ends, and its items. */
function sizedValue(
  bytes: Buffer,
  offset: number,
  type: number,
): { end: number; items: number } | null {
  const width = SIZE_WIDTH[type]
  if (width === undefined || offset + 1 + width > bytes.length) return null
  const size =
    width === 1
      ? (bytes[offset + 1] as number)
      : width === 2
        ? bytes.readUInt16BE(offset + 1)
        : bytes.readUInt32BE(offset + 1)
  const headerEnd = offset + 1 + width
  if (type === 0xdc || type === 0xdd) return { end: headerEnd, items: size }
  if (type === 0xde || type === 0xdf) return { end: headerEnd, items: 2 * size }
  // ext 8/16/32 carry a type byte before their data.
  const extra = type >= 0xc7 && type <= 0xc9 ? 1 : 0
  return { end: headerEnd + extra + size, items: 0 }
}

/** The width of the size field of each variable-size type. */
const SIZE_WIDTH: Record<number, 1 | 2 | 4> = {
  196: 1,
  197: 2,
  198: 4,
  199: 1,
  200: 2,
  201: 4,
  217: 1,
  218: 2,
  219: 4,
  220: 2,
  221: 4,
  222: 2,
  223: 4,
}

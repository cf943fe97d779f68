import { isUtf8 } from 'node:buffer'

/**
 * msgpack for a list of channel names given as their UTF-8 bytes (as `ZRANGE` returns group
 * members): an array of str, byte for byte what `encodeMessage(names)` writes for the decoded
 * strings, without decoding and re-encoding every name. Bytes that are not UTF-8 are written
 * with U+FFFD in their place, as decoding them would. The `__asgi_channel__` value of
 * channels_redis' `group_send`.
 */
export function encodeChannelList(names: readonly Uint8Array[]): Uint8Array {
  const valid = validChannelNames(names)
  const out = new Uint8Array(channelListLength(valid))
  writeChannelList(out, 0, valid)
  return out
}

/** The names as `encodeChannelList` writes them: UTF-8 as it is, anything else with U+FFFD. */
function validChannelNames(names: readonly Uint8Array[]): Uint8Array[] {
  return names.map((name) => (isUtf8(name) ? name : Buffer.from(Buffer.from(name).toString())))
}

/** The encoded size of a list of valid names (from `validChannelNames`). */
function channelListLength(valid: readonly Uint8Array[]): number {
  let length = headerLength(valid.length, 0x10)
  for (const name of valid) length += strHeaderLength(name.byteLength) + name.byteLength
  return length
}

/** Writes a list of valid names (from `validChannelNames`) into `out` at `start`; returns the end. */
function writeChannelList(out: Uint8Array, start: number, valid: readonly Uint8Array[]): number {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength)
  let offset = writeArrayHeader(out, view, start, valid.length)
  for (const name of valid) {
    offset = writeStrHeader(out, view, offset, name.byteLength)
    out.set(name, offset)
    offset += name.byteLength
  }
  return offset
}

function headerLength(count: number, fixLimit: number): number {
  if (count < fixLimit) return 1
  return count < 0x10000 ? 3 : 5
}

function strHeaderLength(length: number): number {
  if (length < 0x20) return 1
  if (length < 0x100) return 2
  return length < 0x10000 ? 3 : 5
}

function writeArrayHeader(out: Uint8Array, view: DataView, offset: number, count: number): number {
  if (count < 0x10) {
    out[offset] = 0x90 | count
    return offset + 1
  }
  if (count < 0x10000) {
    out[offset] = 0xdc
    view.setUint16(offset + 1, count)
    return offset + 3
  }
  out[offset] = 0xdd
  view.setUint32(offset + 1, count)
  return offset + 5
}

function writeStrHeader(out: Uint8Array, view: DataView, offset: number, length: number): number {
  if (length < 0x20) {
    out[offset] = 0xa0 | length
    return offset + 1
  }
  if (length < 0x100) {
    out[offset] = 0xd9
    out[offset + 1] = length
    return offset + 2
  }
  if (length < 0x10000) {
    out[offset] = 0xda
    view.setUint16(offset + 1, length)
    return offset + 3
  }
  out[offset] = 0xdb
  view.setUint32(offset + 1, length)
  return offset + 5
}

import { isUtf8 } from 'node:buffer'

/**
 * msgpack for a list of channel names given as their UTF-8 bytes (as `ZRANGE` returns group
 * members): an array of str, byte for byte what `encodeMessage(names)` writes for the decoded
 * strings, without decoding and re-encoding every name. Bytes that are not UTF-8 are written
 * with U+FFFD in their place, as decoding them would. The `__asgi_channel__` value of
 * channels_redis' `group_send`.
 */
export function encodeChannelList(names: readonly Uint8Array[]): Uint8Array {
  const valid = names.map((name) =>
    isUtf8(name) ? name : Buffer.from(Buffer.from(name).toString()),
  )
  let length = headerLength(valid.length, 0x10)
  for (const name of valid) length += strHeaderLength(name.byteLength) + name.byteLength
  const out = new Uint8Array(length)
  const view = new DataView(out.buffer)
  let offset = writeArrayHeader(out, view, valid.length)
  for (const name of valid) {
    offset = writeStrHeader(out, view, offset, name.byteLength)
    out.set(name, offset)
    offset += name.byteLength
  }
  return out
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

function writeArrayHeader(out: Uint8Array, view: DataView, count: number): number {
  if (count < 0x10) {
    out[0] = 0x90 | count
    return 1
  }
  if (count < 0x10000) {
    out[0] = 0xdc
    view.setUint16(1, count)
    return 3
  }
  out[0] = 0xdd
  view.setUint32(1, count)
  return 5
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

import { isAscii } from 'node:buffer'

/**
 * Frames of this many bytes and more are not built whole. Below it a frame is a slice of
 * Node's shared Buffer pool (`Buffer.poolSize / 2`); from it on, a Buffer per message would be
 * an allocation of its own, which costs more than the socket encoding the text as it writes.
 */
export const WHOLE_FRAME_LIMIT = 4096

/** Client texts of this many bytes and more are checked for ASCII, which is copied rather than decoded. */
const ASCII_CHECK_BYTES = 1024

/**
 * The text of a client's text message, whose bytes ws's parser checked are UTF-8. A large one that is
 * all ASCII (most JSON) is copied as Latin-1, which gives the same string without V8's
 * byte-by-byte UTF-8 decoder (a third less time at 16 KiB); smaller ones are decoded directly.
 */
export function decodeText(bytes: Buffer): string {
  return bytes.length >= ASCII_CHECK_BYTES && isAscii(bytes)
    ? bytes.toString('latin1')
    : bytes.toString('utf8')
}

/** Bytes of the header of an unmasked server frame with `length` payload bytes. */
export function headerLength(length: number): number {
  return length < 126 ? 2 : length < 65_536 ? 4 : 10
}

/** The header of an unmasked, unfragmented server frame (RFC 6455 §5.2). */
export function frameHeader(length: number, binary: boolean): Buffer {
  const header = Buffer.allocUnsafe(headerLength(length))
  writeHeader(header, length, binary)
  return header
}

/**
 * One whole unmasked, unfragmented server frame carrying `payload`: text frames take a string
 * (encoded as UTF-8, as `ws.send()` does), binary frames a Uint8Array (copied).
 */
export function encodeFrame(payload: string | Uint8Array, binary: boolean): Buffer {
  const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength
  return encodeWhole(payload, length, binary)
}

/**
 * A text message too large to build whole (see WHOLE_FRAME_LIMIT): its header, and its text,
 * which the socket encodes as it writes it. Sent to a second socket (`share()`), the text is
 * encoded once into a Buffer that every further socket gets.
 */
export class LargeText {
  readonly header: Buffer
  payload: string | Buffer
  /** Bytes of the whole frame. */
  readonly length: number

  /** `encoded`, when given, is the text's UTF-8 already (bytes a client sent it as). */
  constructor(text: string, byteLength: number, encoded?: Buffer) {
    this.header = frameHeader(byteLength, false)
    this.payload = encoded ?? text
    this.length = this.header.length + byteLength
  }

  /** Encodes the text once, for a frame that goes to more than one socket. */
  share(): this {
    if (typeof this.payload === 'string') this.payload = Buffer.from(this.payload, 'utf8')
    return this
  }
}

/**
 * The frame of a text message: built whole when small, else a LargeText. Either carries
 * `encoded` (the text's UTF-8, when the caller has it) instead of encoding the text again.
 */
export function textFrame(text: string, encoded?: Buffer): Buffer | LargeText {
  const length = encoded === undefined ? Buffer.byteLength(text) : encoded.length
  return length + headerLength(length) < WHOLE_FRAME_LIMIT
    ? encodeWhole(encoded ?? text, length, false)
    : new LargeText(text, length, encoded)
}

function encodeWhole(payload: string | Uint8Array, length: number, binary: boolean): Buffer {
  const offset = headerLength(length)
  const frame = Buffer.allocUnsafe(offset + length)
  writeHeader(frame, length, binary)
  if (typeof payload === 'string') frame.write(payload, offset, 'utf8')
  else frame.set(payload, offset)
  return frame
}

function writeHeader(target: Buffer, length: number, binary: boolean): void {
  target[0] = binary ? 0x82 : 0x81
  if (length < 126) {
    target[1] = length
  } else if (length < 65_536) {
    target[1] = 126
    target.writeUInt16BE(length, 2)
  } else {
    target[1] = 127
    target.writeUInt32BE(Math.floor(length / 2 ** 32), 2)
    target.writeUInt32BE(length >>> 0, 6)
  }
}

/** An unmasked control frame (close 0x8, ping 0x9, pong 0xA) with at most 125 payload bytes. */
export function controlFrame(opcode: number, payload: Uint8Array): Buffer {
  if (payload.length > 125) {
    throw new RangeError(`A control frame carries at most 125 bytes, not ${payload.length}.`)
  }
  const frame = Buffer.allocUnsafe(2 + payload.length)
  frame[0] = 0x80 | opcode
  frame[1] = payload.length
  frame.set(payload, 2)
  return frame
}

/** WebSocket opcodes used by the generator (RFC 6455 §5.2). */
export const Opcode = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const

/**
 * Builds one complete client-to-server frame (FIN set, masked) around `payload`.
 *
 * The masking key is all zeros, which RFC 6455 permits on the wire (servers only unmask), so
 * the payload goes out unchanged and a frame can be built once and written many times: this is
 * what keeps the generator cheap enough not to be the bottleneck.
 */
export function clientFrame(payload: Buffer | string, opcode: number = Opcode.text): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload
  const length = data.length
  const headerLength = length < 126 ? 6 : length < 0x10000 ? 8 : 14
  const frame = Buffer.allocUnsafe(headerLength + length)
  frame[0] = 0x80 | opcode
  if (length < 126) {
    frame[1] = 0x80 | length
  } else if (length < 0x10000) {
    frame[1] = 0x80 | 126
    frame.writeUInt16BE(length, 2)
  } else {
    frame[1] = 0x80 | 127
    frame.writeUInt32BE(Math.floor(length / 0x100000000), 2)
    frame.writeUInt32BE(length >>> 0, 6)
  }
  frame.writeUInt32BE(0, headerLength - 4)
  data.copy(frame, headerLength)
  return frame
}

/** A close frame with `code` (1000 by default), as the client sends it. */
export function closeFrame(code = 1000): Buffer {
  const body = Buffer.allocUnsafe(2)
  body.writeUInt16BE(code, 0)
  return clientFrame(body, Opcode.close)
}

/** The fixed handshake key and the accept value every server must answer with (RFC 6455 §1.3). */
export const HANDSHAKE_KEY = 'dGhlIHNhbXBsZSBub25jZQ=='
/** `base64(sha1(HANDSHAKE_KEY + GUID))`, precomputed so no connection pays for a hash. */
export const HANDSHAKE_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='

/** The HTTP/1.1 upgrade request for `path` on 127.0.0.1:`port`. */
export function upgradeRequest(port: number, path: string): Buffer {
  return Buffer.from(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${HANDSHAKE_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    'latin1',
  )
}

import { Duplex } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { type SocketEvents, WebSocketLink } from './websocket-link.js'

/*
 * The link against ws's own WebSocket, the server side it replaces: the same client bytes,
 * cut into the same random chunks, must give the same messages, the same error, the same
 * reported close code and reason, and the same frames written back (pongs, close frames).
 */

const MAX_PAYLOAD = 64

/** A deterministic pseudo-random source (mulberry32), so a failing scenario can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A client frame: FIN/RSV bits and opcode in `first`, masked unless `masked` is false. */
function frame(first: number, payload: Buffer, masked = true): Buffer {
  const length = payload.length
  const header =
    length < 126
      ? Buffer.from([first, (masked ? 0x80 : 0) | length])
      : Buffer.from([first, (masked ? 0x80 : 0) | 126, length >> 8, length & 0xff])
  if (!masked) return Buffer.concat([header, payload])
  const mask = Buffer.from([0x37, 0xfa, 0x21, 0x3d])
  const body = Buffer.from(payload.map((byte, i) => byte ^ (mask[i & 3] as number)))
  return Buffer.concat([header, mask, body])
}

const text = (value: string) => Buffer.from(value, 'utf8')

function closePayload(code: number, reason: string): Buffer {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason))
  payload.writeUInt16BE(code, 0)
  payload.write(reason, 2)
  return payload
}

/** One random piece of a client's stream: mostly valid frames, sometimes a broken one. */
function piece(next: () => number): Buffer {
  const pick = (n: number) => Math.floor(next() * n)
  const word = ['hi', 'héllo', '', 'x'.repeat(pick(90)), '🙂 ok'][pick(5)] as string
  switch (pick(16)) {
    case 0:
    case 1:
    case 2:
      return frame(0x81, text(word))
    case 3:
      return frame(0x82, Buffer.from([pick(256), pick(256), pick(256)]))
    case 4:
      // A fragmented text, with a ping between its fragments.
      return Buffer.concat([
        frame(0x01, text('frag')),
        frame(0x89, text('mid')),
        frame(0x80, text('ment')),
      ])
    case 5:
      return frame(0x89, text(word.slice(0, 100)))
    case 6:
      return frame(0x8a, text('unasked pong'))
    case 7:
      return frame(0x88, closePayload([1000, 1001, 3000, 4999][pick(4)] as number, 'bye'))
    case 8:
      return frame(0x88, Buffer.alloc(0))
    case 9:
      return frame(0x81, text('unmasked'), false)
    case 10:
      return frame(0x83, text('reserved opcode'))
    case 11:
      return frame(0xc1, text('rsv1 without an extension'))
    case 12:
      return frame(0x89, Buffer.alloc(126))
    case 13:
      return frame(0x81, Buffer.from([0xc3, 0x28]))
    case 14:
      return frame(0x80, text('continuation of nothing'))
    default:
      return pick(2) === 0
        ? frame(0x81, Buffer.alloc(MAX_PAYLOAD + 1, 0x61))
        : frame(0x88, closePayload([1005, 999, 2000][pick(3)] as number, ''))
  }
}

/** What one server side reported and wrote. */
type Transcript = {
  messages: string[]
  errors: string[]
  closes: string[]
  written: string[]
}

/** A socket stand-in: what is pushed is read by the server; what it writes is recorded. */
function stubSocket(written: Buffer[]): Duplex {
  return new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      written.push(Buffer.from(chunk))
      setImmediate(callback)
    },
  })
}

/** The server's frames, as `opcode:payload` (hex for close frames). */
function describeFrames(bytes: Buffer): string[] {
  const frames: string[] = []
  let at = 0
  while (at + 2 <= bytes.length) {
    const opcode = (bytes[at] as number) & 0x0f
    const length = (bytes[at + 1] as number) & 0x7f
    const payload = bytes.subarray(at + 2, at + 2 + length)
    frames.push(`${opcode}:${opcode === 8 ? payload.toString('hex') : payload.toString()}`)
    at += 2 + length
  }
  return frames
}

/** Feeds `chunks` to a server side made by `attach`, then ends the client's side. */
async function run(
  chunks: Buffer[],
  attach: (socket: Duplex, report: Transcript) => void,
): Promise<Transcript> {
  const written: Buffer[] = []
  const socket = stubSocket(written)
  const report: Transcript = { messages: [], errors: [], closes: [], written: [] }
  attach(socket, report)
  for (const chunk of chunks) {
    socket.push(chunk)
    await new Promise((resolve) => setImmediate(resolve))
  }
  socket.push(null)
  for (let i = 0; i < 20 && report.closes.length === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  report.written = describeFrames(Buffer.concat(written))
  return report
}

function viaWs(socket: Duplex, report: Transcript): void {
  // How ws's server builds one (address null), before it hands it the socket.
  const ServerSide = WebSocket as unknown as new (
    address: null,
    protocols: undefined,
    options: object,
  ) => WebSocket
  const ws = new ServerSide(null, undefined, {
    autoPong: true,
    maxPendingAutoPongs: 60,
    closeTimeout: 1000,
  })
  ws.on('message', (data: Buffer, isBinary: boolean) =>
    report.messages.push(`${isBinary ? 'b' : 't'}:${data.toString('hex')}`),
  )
  ws.on('error', (error: Error & { code?: string }) => report.errors.push(String(error.code)))
  ws.on('close', (code: number, reason: Buffer) => report.closes.push(`${code}:${reason}`))
  ;(
    ws as unknown as {
      setSocket(socket: Duplex, head: Buffer, options: object): void
    }
  ).setSocket(socket, Buffer.alloc(0), {
    allowSynchronousEvents: true,
    maxBufferedChunks: 256 * 1024,
    maxFragments: 16 * 1024,
    maxPayload: MAX_PAYLOAD,
    skipUTF8Validation: false,
  })
}

function viaLink(socket: Duplex, report: Transcript): void {
  const events: SocketEvents = {
    heard() {},
    received: (data, isBinary) =>
      report.messages.push(`${isBinary ? 'b' : 't'}:${data.toString('hex')}`),
    failed: (error) => report.errors.push(String(error.code)),
    ended: (code, reason) => report.closes.push(`${code}:${reason}`),
    releaseOutput() {},
  }
  WebSocketLink.open(socket, Buffer.alloc(0), events, { maxPayload: MAX_PAYLOAD, rawBytes: false })
}

describe('WebSocketLink against ws (the server side it replaces)', () => {
  it('reports and answers 150 random client streams, in random chunks, as ws does', async () => {
    for (let seed = 1; seed <= 150; seed++) {
      const next = random(seed)
      const stream = Buffer.concat(
        Array.from({ length: 1 + Math.floor(next() * 6) }, () => piece(next)),
      )
      const chunks: Buffer[] = []
      for (let at = 0; at < stream.length; ) {
        const size = 1 + Math.floor(next() * 40)
        chunks.push(stream.subarray(at, at + size))
        at += size
      }
      // Copies: the parser unmasks what it is given in place.
      const expected = await run(
        chunks.map((chunk) => Buffer.from(chunk)),
        viaWs,
      )
      const actual = await run(
        chunks.map((chunk) => Buffer.from(chunk)),
        viaLink,
      )
      expect({ seed, ...actual }).toEqual({ seed, ...expected })
      expect(actual.closes).toHaveLength(1)
    }
  }, 60_000)
})

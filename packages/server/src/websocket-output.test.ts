import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type Duplex, Writable } from 'node:stream'
import { describe, expect, it, onTestFinished } from 'vitest'
import * as wsModule from 'ws'
import { WebSocket } from 'ws'
import { decodeText, encodeFrame, WHOLE_FRAME_LIMIT } from './websocket-frames.js'
import { type SocketEvents, WebSocketLink } from './websocket-link.js'
import {
  type BatchPlace,
  CONCAT_BYTES,
  EARLY_FLUSH_BYTES,
  FLUSH_PASS_SOCKETS,
  OutputBatch,
  TURN_HOLD_BYTES,
} from './websocket-output.js'

/** ws's own framing (exported at runtime as `Sender`, absent from @types/ws). */
const { Sender } = wsModule as unknown as {
  Sender: {
    frame(
      data: Buffer,
      options: { fin: boolean; rsv1: boolean; opcode: number; mask: boolean; readOnly: boolean },
    ): Buffer[]
  }
}

/** A writable that records each write system call it would make: one array per `writev`. */
class RecordingSocket extends Writable {
  readonly calls: Array<Array<Buffer | string>> = []

  constructor() {
    // As a net.Socket: strings reach the write call as they are.
    super({ decodeStrings: false })
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.calls.push([chunk])
    callback()
  }

  override _writev(chunks: Array<{ chunk: Buffer | string }>, callback: () => void): void {
    this.calls.push(chunks.map(({ chunk }) => chunk))
    callback()
  }

  /** Everything written, as one buffer. */
  get bytes(): Buffer {
    return Buffer.concat(this.calls.flat().map((chunk) => Buffer.from(chunk)))
  }
}

function recordingSockets(count: number): RecordingSocket[] {
  return Array.from({ length: count }, () => new RecordingSocket())
}

/** Each socket's place in the batches (a connection keeps its own: itself). */
const places = new WeakMap<Writable, BatchPlace>()

/** The one place `socket` is always written with. */
function placeOf(socket: Writable): BatchPlace {
  let place = places.get(socket)
  if (place === undefined) {
    place = { batchSlot: -1 }
    places.set(socket, place)
  }
  return place
}

/** `batch.write()` to `socket`, with its place. */
function writeTo(batch: OutputBatch, socket: Writable, payload: string | Uint8Array): number {
  return batch.write(socket, payload, placeOf(socket))
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
/** Resolves after the process.nextTick queue has run (before the end of the turn). */
const tick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve))

/** Parses unmasked server frames back into [opcode, payload] pairs. */
function parseFrames(bytes: Buffer): Array<[number, string]> {
  const frames: Array<[number, string]> = []
  let offset = 0
  while (offset < bytes.length) {
    const opcode = (bytes[offset] ?? 0) & 0x0f
    let length = (bytes[offset + 1] ?? 0) & 0x7f
    let start = offset + 2
    if (length === 126) {
      length = bytes.readUInt16BE(offset + 2)
      start += 2
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(offset + 2))
      start += 8
    }
    frames.push([opcode, bytes.subarray(start, start + length).toString('latin1')])
    offset = start + length
  }
  return frames
}

describe('encodeFrame', () => {
  it.each([0, 1, 125, 126, 65_535, 65_536, 70_000])(
    'builds the frame ws builds for %i bytes, text and binary',
    (size) => {
      const text = 'é'.repeat(Math.floor(size / 2)) + 'x'.repeat(size % 2)
      const expectedText = Sender.frame(Buffer.from(text), {
        fin: true,
        rsv1: false,
        opcode: 1,
        mask: false,
        readOnly: true,
      })
      expect(encodeFrame(text, false).equals(Buffer.concat(expectedText))).toBe(true)
      const bytes = new Uint8Array(size).map((_, i) => i % 251)
      const expectedBinary = Sender.frame(Buffer.from(bytes), {
        fin: true,
        rsv1: false,
        opcode: 2,
        mask: false,
        readOnly: true,
      })
      expect(encodeFrame(bytes, true).equals(Buffer.concat(expectedBinary))).toBe(true)
    },
  )
})

describe('decodeText', () => {
  it.each([
    ['short ASCII', 'hello'],
    ['long ASCII', `{"message":"${'x'.repeat(5000)}"}`],
    ['long, ASCII but for its last character', `${'a'.repeat(5000)}é`],
    ['long, multi-byte throughout', '日本語😀'.repeat(500)],
  ])('gives the string the bytes encode (%s)', (_label, text) => {
    expect(decodeText(Buffer.from(text))).toBe(text)
  })
})

describe('OutputBatch', () => {
  it('frames a message sent to many sockets in one turn once, and writes each socket once', async () => {
    const batch = new OutputBatch()
    // As many as one pass of the flush writes (see the next test for more).
    const sockets = recordingSockets(FLUSH_PASS_SOCKETS)
    for (const socket of sockets) writeTo(batch, socket, 'alone')
    await nextTurn()
    for (const socket of sockets) {
      // The same frame object, not copies, in one write.
      expect(socket.calls).toEqual([[sockets[0]?.calls[0]?.[0]]])
    }
    for (let n = 0; n < 3; n++) {
      for (const socket of sockets) writeTo(batch, socket, `message ${n}`)
    }
    expect(batch.pending).toBe(FLUSH_PASS_SOCKETS)
    expect(sockets[0]?.calls).toHaveLength(1)
    await nextTurn()
    expect(batch.pending).toBe(0)
    for (const socket of sockets) {
      // Small frames leave as one buffer: one write, not a writev of three.
      expect(socket.calls).toHaveLength(2)
      expect(socket.calls[1]).toHaveLength(1)
      expect(parseFrames(socket.bytes)).toEqual([
        [1, 'alone'],
        [1, 'message 0'],
        [1, 'message 1'],
        [1, 'message 2'],
      ])
    }
  })

  it('writes FLUSH_PASS_SOCKETS sockets per pass; output arriving between passes joins a waiting write', async () => {
    const batch = new OutputBatch()
    const sockets = recordingSockets(FLUSH_PASS_SOCKETS * 2 + 1)
    const written = (): number => sockets.filter((socket) => socket.calls.length > 0).length
    for (const socket of sockets) writeTo(batch, socket, 'first')
    await nextTurn()
    expect(written()).toBe(FLUSH_PASS_SOCKETS)
    expect(batch.pending).toBe(FLUSH_PASS_SOCKETS + 1)
    // Read between passes (a group message): every socket is given a second frame.
    for (const socket of sockets) writeTo(batch, socket, 'second')
    await nextTurn()
    expect(written()).toBe(FLUSH_PASS_SOCKETS * 2)
    for (let passes = 0; batch.pending > 0 && passes < 10; passes++) await nextTurn()
    expect(batch.pending).toBe(0)
    for (const [index, socket] of sockets.entries()) {
      expect(parseFrames(socket.bytes)).toEqual([
        [1, 'first'],
        [1, 'second'],
      ])
      // Written in the first pass: the second frame went later. Still waiting: one write.
      expect(socket.calls).toHaveLength(index < FLUSH_PASS_SOCKETS ? 2 : 1)
    }
  })

  it('keeps its slots bounded, and every socket in order, when it never empties between passes', async () => {
    const batch = new OutputBatch()
    const sockets = recordingSockets(300)
    const expected = sockets.map((): Array<[number, string]> => [])
    for (let round = 0; round < 40; round++) {
      // More sockets given output each pass than a pass writes.
      for (let k = 0; k < 100; k++) {
        const index = (round * 100 + k) % sockets.length
        writeTo(batch, sockets[index] as RecordingSocket, `${round}`)
        expected[index]?.push([1, `${round}`])
      }
      // A large binary leaves at once, with what its socket held: that slot is given up, and
      // the socket's next output takes a new one.
      const large = new Uint8Array(WHOLE_FRAME_LIMIT).fill(round)
      const index = (round * 100 + 50) % sockets.length
      writeTo(batch, sockets[index] as RecordingSocket, large)
      writeTo(batch, sockets[index] as RecordingSocket, `${round} after`)
      expected[index]?.push([2, Buffer.from(large).toString('latin1')], [1, `${round} after`])
      await nextTurn()
      expect(batch.slots).toBeLessThan(2 * sockets.length + FLUSH_PASS_SOCKETS)
    }
    for (let passes = 0; batch.pending > 0 && passes < 20; passes++) await nextTurn()
    expect(batch.pending).toBe(0)
    expect(batch.slots).toBe(0)
    for (const [index, socket] of sockets.entries()) {
      expect(parseFrames(socket.bytes)).toEqual(expected[index])
    }
  })

  it('writes a pass of the oldest sockets at the next tick past TURN_HOLD_BYTES, the rest in passes', async () => {
    const batch = new OutputBatch()
    const text = 'x'.repeat(1024)
    // A group send's worth: over three times the limit, over more than three passes' sockets.
    const sockets = recordingSockets(Math.ceil((3 * TURN_HOLD_BYTES) / text.length) + 1)
    expect(sockets.length).toBeGreaterThan(3 * FLUSH_PASS_SOCKETS)
    for (const socket of sockets) writeTo(batch, socket, text)
    await tick()
    const written = (): number => sockets.filter((socket) => socket.calls.length > 0).length
    expect(written()).toBe(FLUSH_PASS_SOCKETS)
    expect(sockets.slice(0, FLUSH_PASS_SOCKETS).every((socket) => socket.calls.length === 1)).toBe(
      true,
    )
    await nextTurn()
    expect(written()).toBe(2 * FLUSH_PASS_SOCKETS)
    for (let passes = 0; batch.pending > 0 && passes < 10; passes++) await nextTurn()
    expect(sockets.every((socket) => socket.calls.length === 1)).toBe(true)
  })

  it('counts toward TURN_HOLD_BYTES only what it still holds after a pass', async () => {
    const batch = new OutputBatch()
    const text = 'x'.repeat(600)
    const frameBytes = text.length + 4
    // Under the limit in all, then over it counting what the first pass wrote.
    const first = recordingSockets(FLUSH_PASS_SOCKETS + 32)
    const later = recordingSockets(60)
    expect(first.length * frameBytes).toBeLessThan(TURN_HOLD_BYTES)
    expect((first.length + later.length) * frameBytes).toBeGreaterThan(TURN_HOLD_BYTES)
    expect((32 + later.length) * frameBytes).toBeLessThan(TURN_HOLD_BYTES)
    for (const socket of first) writeTo(batch, socket, text)
    await nextTurn()
    for (const socket of later) writeTo(batch, socket, text)
    await tick()
    expect(later.some((socket) => socket.calls.length > 0)).toBe(false)
    for (let passes = 0; batch.pending > 0 && passes < 10; passes++) await nextTurn()
    expect([...first, ...later].every((socket) => socket.calls.length === 1)).toBe(true)
  })

  it('copies the same frames into one buffer for every socket given them in a turn', async () => {
    const batch = new OutputBatch()
    const sockets = recordingSockets(4)
    const [first, second, third, fourth] = sockets as [
      RecordingSocket,
      RecordingSocket,
      RecordingSocket,
      RecordingSocket,
    ]
    for (const socket of [first, second])
      for (const text of ['x', 'y']) writeTo(batch, socket, text)
    // Other frames, or the same in another order, are copied for that socket.
    for (const text of ['x', 'z']) writeTo(batch, third, text)
    for (const text of ['y', 'x']) writeTo(batch, fourth, text)
    await nextTurn()
    const written = sockets.map((socket) => socket.calls[0]?.[0])
    expect(written[1]).toBe(written[0])
    expect(new Set(written).size).toBe(3)
    expect(parseFrames(second.bytes)).toEqual([
      [1, 'x'],
      [1, 'y'],
    ])
    expect(parseFrames(third.bytes)).toEqual([
      [1, 'x'],
      [1, 'z'],
    ])
    expect(parseFrames(fourth.bytes)).toEqual([
      [1, 'y'],
      [1, 'x'],
    ])
    // The next turn copies afresh: a buffer is shared within a turn only.
    for (const socket of [first, second])
      for (const text of ['x', 'y']) writeTo(batch, socket, text)
    await nextTurn()
    expect(first.calls[1]?.[0]).not.toBe(written[0])
    expect(second.calls[1]?.[0]).toBe(first.calls[1]?.[0])
  })

  it('keeps frames in order when sockets take turns with several messages (socket-major order)', async () => {
    const batch = new OutputBatch()
    const sockets = recordingSockets(4)
    const texts = ['a', 'b', 'c'].map((letter) => letter.repeat(200))
    // Equal strings that are not the same string object still share a frame.
    for (const socket of sockets) for (const text of texts) writeTo(batch, socket, `${text}`)
    await nextTurn()
    for (const socket of sockets) {
      expect(parseFrames(socket.bytes).map(([, payload]) => payload)).toEqual(texts)
    }
  })

  it('writes more than CONCAT_BYTES of small frames as one writev of the shared frames', async () => {
    const batch = new OutputBatch()
    const sockets = recordingSockets(2)
    const count = Math.ceil(CONCAT_BYTES / (WHOLE_FRAME_LIMIT - 10)) + 1
    const texts = Array.from({ length: count }, (_, i) => String(i).repeat(WHOLE_FRAME_LIMIT - 10))
    for (const text of texts) for (const socket of sockets) writeTo(batch, socket, text)
    await nextTurn()
    const [first, second] = sockets.map((socket) => socket.calls)
    expect(first).toHaveLength(1)
    expect(first?.[0]).toHaveLength(texts.length)
    first?.[0]?.forEach((frame, i) => {
      expect(frame).toBe(second?.[0]?.[i])
    })
    expect(parseFrames(Buffer.concat(first?.[0] as Buffer[])).map(([, text]) => text)).toEqual(
      texts,
    )
  })

  it('keeps each socket in order across turns, text and binary interleaved', async () => {
    const batch = new OutputBatch()
    const [socket] = recordingSockets(1)
    if (socket === undefined) throw new Error('no socket')
    const expected: Array<[number, string]> = []
    for (let turn = 0; turn < 5; turn++) {
      for (let i = 0; i < 4; i++) {
        const label = `${turn}.${i}`
        if (i % 2 === 0) {
          writeTo(batch, socket, label)
          expected.push([1, label])
        } else {
          writeTo(batch, socket, Buffer.from(label))
          expected.push([2, label])
        }
      }
      await nextTurn()
    }
    expect(socket.calls).toHaveLength(5)
    expect(parseFrames(socket.bytes)).toEqual(expected)
  })

  it('reuses a binary frame for the same unchanged array, and rebuilds it once the array changed', async () => {
    const batch = new OutputBatch()
    const [first, second, third] = recordingSockets(3)
    if (first === undefined || second === undefined || third === undefined) throw new Error()
    const bytes = Buffer.from('one')
    writeTo(batch, first, bytes)
    writeTo(batch, second, bytes)
    bytes.write('two')
    writeTo(batch, third, bytes)
    await nextTurn()
    expect(first.calls[0]?.[0]).toBe(second.calls[0]?.[0])
    expect(parseFrames(first.bytes)).toEqual([[2, 'one']])
    expect(parseFrames(second.bytes)).toEqual([[2, 'one']])
    expect(parseFrames(third.bytes)).toEqual([[2, 'two']])
  })

  it('copies small bytes: changing the array after send() does not change what is sent', async () => {
    const batch = new OutputBatch()
    const [socket] = recordingSockets(1)
    if (socket === undefined) throw new Error('no socket')
    const bytes = new Uint8Array([0x61, 0x62])
    writeTo(batch, socket, bytes)
    bytes[0] = 0x7a
    await nextTurn()
    expect(parseFrames(socket.bytes)).toEqual([[2, 'ab']])
  })

  it('stays correct past its cache: many distinct messages to many sockets in one turn', async () => {
    const batch = new OutputBatch()
    const sockets = recordingSockets(3)
    const texts = Array.from({ length: 100 }, (_, i) => `text ${i % 50}`)
    for (const text of texts) for (const socket of sockets) writeTo(batch, socket, text)
    for (const socket of sockets) for (const text of texts) writeTo(batch, socket, text)
    await nextTurn()
    for (const socket of sockets) {
      expect(parseFrames(socket.bytes).map(([, payload]) => payload)).toEqual([...texts, ...texts])
    }
  })

  it('writes a large text as its header and the string, and encodes it once for further sockets', async () => {
    const batch = new OutputBatch()
    const sockets = recordingSockets(3)
    const text = 'é'.repeat(WHOLE_FRAME_LIMIT)
    for (const socket of sockets) writeTo(batch, socket, text)
    await nextTurn()
    const [first, second, third] = sockets.map((socket) => socket.calls[0] ?? [])
    expect(first?.[1]).toBe(text)
    expect(Buffer.isBuffer(second?.[1])).toBe(true)
    expect(third?.[1]).toBe(second?.[1])
    for (const socket of sockets) {
      expect(parseFrames(socket.bytes)).toEqual([[1, Buffer.from(text).toString('latin1')]])
    }
  })

  it('writes at the end of the turn, or a pass at the next tick once it holds TURN_HOLD_BYTES in all', async () => {
    const batch = new OutputBatch()
    const [alone] = recordingSockets(1)
    if (alone === undefined) throw new Error('no socket')
    writeTo(batch, alone, 'small')
    await tick()
    // Other clients read in the same turn may still add to it.
    expect(alone.calls).toHaveLength(0)
    await nextTurn()
    expect(alone.calls).toHaveLength(1)
    // A group send's worth of output: 1 KiB to each of enough sockets to reach the limit.
    const text = 'x'.repeat(1024)
    const many = recordingSockets(Math.ceil(TURN_HOLD_BYTES / 1024))
    for (const socket of many.slice(0, -1)) writeTo(batch, socket, text)
    await tick()
    expect(many.every((socket) => socket.calls.length === 0)).toBe(true)
    writeTo(batch, many.at(-1) as RecordingSocket, text)
    await tick()
    // A pass of the oldest output leaves (all of it here: one pass's worth of sockets).
    expect(many.length).toBeLessThanOrEqual(FLUSH_PASS_SOCKETS)
    expect(many.every((socket) => socket.calls.length === 1)).toBe(true)
  })

  it('sends a large text decoded from a client this turn as the bytes it came as, unencoded', async () => {
    const batch = new OutputBatch()
    const [echo, other, later] = recordingSockets(3)
    if (echo === undefined || other === undefined || later === undefined)
      throw new Error('no sockets')
    const text = `${'é'.repeat(WHOLE_FRAME_LIMIT)}!`
    const bytes = Buffer.from(text)
    const unrelated = 'ü'.repeat(WHOLE_FRAME_LIMIT)
    // An equal text decoded from other bytes serves as well: it is found by value.
    batch.decoded(text.slice(0, -1).concat('!'), bytes)
    batch.decoded('small', Buffer.from('small'))
    // A flush may come between the decoding and the handler that sends the text back.
    writeTo(batch, other, 'first')
    batch.flush()
    expect(other.calls).toHaveLength(1)
    writeTo(batch, echo, text)
    writeTo(batch, other, unrelated)
    writeTo(batch, other, 'small')
    await nextTurn()
    expect(echo.calls[0]?.[1]).toBe(bytes)
    expect(other.calls[1]?.[1]).toBe(unrelated)
    expect(parseFrames(echo.bytes)).toEqual([[1, bytes.toString('latin1')]])
    expect(parseFrames(other.bytes)).toEqual([
      [1, 'first'],
      [1, Buffer.from(unrelated).toString('latin1')],
      [1, 'small'],
    ])
    // The turn is over: the text is encoded again.
    writeTo(batch, later, text)
    await nextTurn()
    expect(later.calls[0]?.[1]).toBe(text)
  })

  it('frames a small text decoded from a client from the bytes it came as, until the flush', () => {
    const batch = new OutputBatch()
    const [socket] = recordingSockets(1)
    if (socket === undefined) throw new Error('no socket')
    // The bytes must be the text's UTF-8 (ws checks it); other bytes here show which are sent.
    batch.decoded('echo', Buffer.from('ECHO'))
    writeTo(batch, socket, 'echo')
    writeTo(batch, socket, 'other')
    batch.flush()
    writeTo(batch, socket, 'echo')
    batch.flush()
    expect(parseFrames(socket.bytes)).toEqual([
      [1, 'ECHO'],
      [1, 'other'],
      [1, 'echo'],
    ])
  })

  it('writes nothing to a socket that ended before the flush (no write-after-end error)', async () => {
    const batch = new OutputBatch()
    const [socket] = recordingSockets(1)
    if (socket === undefined) throw new Error('no socket')
    const errors: Error[] = []
    socket.on('error', (error: Error) => errors.push(error))
    writeTo(batch, socket, 'held')
    socket.end()
    batch.flush()
    await nextTurn()
    expect(socket.calls).toEqual([])
    expect(errors).toEqual([])
    expect(batch.pending).toBe(0)
  })

  it('sends a large binary message at once, with what was corked before it, uncopied', () => {
    const batch = new OutputBatch()
    const [socket] = recordingSockets(1)
    if (socket === undefined) throw new Error('no socket')
    const bytes = Buffer.alloc(WHOLE_FRAME_LIMIT, 0x62)
    writeTo(batch, socket, 'before')
    writeTo(batch, socket, bytes)
    expect(socket.calls).toHaveLength(1)
    expect(socket.calls[0]?.[2]).toBe(bytes)
    writeTo(batch, socket, 'after')
    batch.flush()
    expect(parseFrames(socket.bytes)).toEqual([
      [1, 'before'],
      [2, 'b'.repeat(WHOLE_FRAME_LIMIT)],
      [1, 'after'],
    ])
  })

  it('flushes a socket at once when its corked output passes EARLY_FLUSH_BYTES', () => {
    const batch = new OutputBatch()
    const [socket] = recordingSockets(1)
    if (socket === undefined) throw new Error('no socket')
    const big = 'x'.repeat(EARLY_FLUSH_BYTES / 4)
    for (let i = 0; i < 3; i++) writeTo(batch, socket, big)
    expect(socket.calls).toEqual([])
    writeTo(batch, socket, big)
    // One writev: four headers and four texts.
    expect(socket.calls).toHaveLength(1)
    expect(socket.calls[0]).toHaveLength(8)
    writeTo(batch, socket, 'after')
    batch.flush()
    expect(socket.calls).toHaveLength(2)
    expect(parseFrames(socket.bytes).map(([, payload]) => payload.length)).toEqual([
      big.length,
      big.length,
      big.length,
      big.length,
      5,
    ])
  })
})

/**
 * A WebSocketLink on the server's end of a loopback connection, writing beside `batch` as a
 * connection does (its `releaseOutput()` releases what the batch holds), and a ws client.
 */
async function linkPair(
  batch: OutputBatch,
): Promise<{ link: WebSocketLink; socket: Duplex; client: WebSocket }> {
  const http = createServer()
  const opened = new Promise<{ link: WebSocketLink; socket: Duplex }>((resolve) => {
    http.on('upgrade', (req, socket: Duplex, head: Buffer) => {
      const key = String(req.headers['sec-websocket-key'])
      const accept = createHash('sha1')
        .update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
        .digest('base64')
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
      )
      const events: SocketEvents = {
        heard() {},
        received() {},
        failed() {},
        ended() {},
        releaseOutput: () => batch.release(socket, placeOf(socket)),
      }
      const link = WebSocketLink.open(socket, head, events, { maxPayload: 0, rawBytes: false })
      resolve({ link, socket })
    })
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  onTestFinished(() => {
    http.closeAllConnections()
    http.close()
  })
  const { port } = http.address() as AddressInfo
  const client = new WebSocket(`ws://127.0.0.1:${port}/`)
  onTestFinished(() => client.terminate())
  const { link, socket } = await opened
  await new Promise((resolve) => client.once('open', resolve))
  return { link, socket, client }
}

/** Records what a client sees, in order: messages (`m:<text>`), pings and the close. */
function transcript(client: WebSocket): {
  events: string[]
  until: (count: number) => Promise<void>
} {
  const events: string[] = []
  let wake = () => {}
  const push = (event: string) => {
    events.push(event)
    wake()
  }
  client.on('message', (data: Buffer, isBinary: boolean) =>
    push(`${isBinary ? 'b' : 'm'}:${data.toString()}`),
  )
  client.on('ping', () => push('ping'))
  client.on('pong', () => push('pong'))
  client.on('close', (code, reason) => push(`close:${code}:${reason.toString()}`))
  return {
    events,
    until: (count) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`Saw only ${events.join(', ')}`)), 2000)
        wake = () => {
          if (events.length < count) return
          clearTimeout(timer)
          resolve()
        }
        wake()
      }),
  }
}

describe('OutputBatch beside the WebSocketLink', () => {
  it("keeps its frames in order with the link's pings", async () => {
    const batch = new OutputBatch()
    const { link, socket, client } = await linkPair(batch)
    const seen = transcript(client)
    writeTo(batch, socket, 'a')
    link.ping()
    writeTo(batch, socket, 'b')
    writeTo(batch, socket, Buffer.from('c'))
    await seen.until(4)
    expect(seen.events).toEqual(['m:a', 'ping', 'm:b', 'b:c'])
  })

  it('sends everything written before a close, then the close', async () => {
    const batch = new OutputBatch()
    const { link, socket, client } = await linkPair(batch)
    const seen = transcript(client)
    for (const text of ['one', 'two', 'three']) writeTo(batch, socket, text)
    link.close(4001, 'done')
    await seen.until(4)
    expect(seen.events).toEqual(['m:one', 'm:two', 'm:three', 'close:4001:done'])
  })

  it("returns what it holds for a socket plus the socket's writableLength, for maxBufferedBytes", async () => {
    const batch = new OutputBatch()
    const { socket } = await linkPair(batch)
    expect(writeTo(batch, socket, 'x'.repeat(1000))).toBe(1004)
    expect(writeTo(batch, socket, new Uint8Array(100))).toBe(1004 + 102)
    // Held by the batch until the flush: the socket has not been written yet.
    expect(socket.writableLength).toBe(0)
    batch.flush()
    expect(socket.writableLength).toBeLessThanOrEqual(1004 + 102)
    socket.cork()
    expect(writeTo(batch, socket, 'y')).toBe(3 + socket.writableLength)
    socket.uncork()
  })

  it("writes what it holds for a socket before the link's pong", async () => {
    const batch = new OutputBatch()
    const { socket, client } = await linkPair(batch)
    const seen = transcript(client)
    writeTo(batch, socket, 'held')
    // A client's ping read in the same turn: the link answers it at once.
    socket.emit('data', Buffer.from([0x89, 0x80, 1, 2, 3, 4]))
    await seen.until(2)
    expect(seen.events).toEqual(['m:held', 'pong'])
  })
})

import net, { type AddressInfo } from 'node:net'
import { Duplex, Writable } from 'node:stream'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { CLOSE_HANDSHAKE_TIMEOUT_MS, type SocketEvents, WebSocketLink } from './websocket-link.js'

/** What a link reported to its events. */
class Recorded implements SocketEvents {
  readonly heardBytes: number[] = []
  readonly messages: Array<{ data: string; isBinary: boolean }> = []
  readonly failures: string[] = []
  readonly ends: Array<{ code: number; reason: string }> = []
  /** Calls of `releaseOutput()`: one before each frame the link writes. */
  releases = 0
  #onEnd: (() => void) | null = null

  heard(chunk: Buffer): void {
    this.heardBytes.push(chunk.length)
  }
  received(data: Buffer, isBinary: boolean): void {
    this.messages.push({ data: data.toString(), isBinary })
  }
  failed(error: Error & { code?: string }, closeCode: number): void {
    this.failures.push(`${error.code ?? error.message}:${closeCode}`)
  }
  ended(code: number, reason: Buffer): void {
    this.ends.push({ code, reason: reason.toString() })
    this.#onEnd?.()
  }
  releaseOutput(): void {
    this.releases++
  }
  /** Resolves once the end was reported. */
  whenEnded(): Promise<void> {
    if (this.ends.length > 0) return Promise.resolve()
    return new Promise((resolve) => {
      this.#onEnd = resolve
    })
  }
}

/** A client frame: masked, as RFC 6455 requires of clients (unless `masked` is false). */
function clientFrame(opcode: number, payload: Buffer | string = '', masked = true): Buffer {
  const data = Buffer.from(payload)
  const mask = Buffer.from([1, 2, 3, 4])
  const header = Buffer.from([0x80 | opcode, (masked ? 0x80 : 0) | data.length])
  if (!masked) return Buffer.concat([header, data])
  const body = Buffer.from(data.map((byte, i) => byte ^ (mask[i % 4] as number)))
  return Buffer.concat([header, mask, body])
}

function closePayload(code: number, reason = ''): Buffer {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason))
  payload.writeUInt16BE(code, 0)
  payload.write(reason, 2)
  return payload
}

/** The server's frames as the client read them: opcode and payload (all under 126 bytes here). */
function parseFrames(bytes: Buffer): Array<{ opcode: number; payload: Buffer }> {
  const frames: Array<{ opcode: number; payload: Buffer }> = []
  let at = 0
  while (at + 2 <= bytes.length) {
    const length = (bytes[at + 1] as number) & 0x7f
    frames.push({
      opcode: (bytes[at] as number) & 0x0f,
      payload: bytes.subarray(at + 2, at + 2 + length),
    })
    at += 2 + length
  }
  return frames
}

type Pair = { link: WebSocketLink; events: Recorded; client: net.Socket; read(): Buffer }

const servers: net.Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
})

/** A link on the server's end of a real loopback connection, and its raw client. */
async function linkedPair(
  options: { maxPayload?: number; rawBytes?: boolean } = {},
): Promise<Pair> {
  const events = new Recorded()
  let opened: (link: WebSocketLink) => void = () => {}
  const linked = new Promise<WebSocketLink>((resolve) => {
    opened = resolve
  })
  const server = net.createServer((socket) => {
    opened(
      WebSocketLink.open(socket, Buffer.alloc(0), events, {
        maxPayload: options.maxPayload ?? 1024,
        rawBytes: options.rawBytes ?? false,
      }),
    )
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const client = net.connect(port, '127.0.0.1')
  client.on('error', () => {})
  const chunks: Buffer[] = []
  client.on('data', (chunk: Buffer) => chunks.push(chunk))
  return { link: await linked, events, client, read: () => Buffer.concat(chunks) }
}

const closed = (socket: net.Socket): Promise<void> =>
  socket.closed
    ? Promise.resolve()
    : new Promise((resolve) => socket.once('close', () => resolve()))

describe('WebSocketLink', () => {
  it('delivers text and binary messages, and the raw bytes first when asked', async () => {
    const { events, client } = await linkedPair({ rawBytes: true })
    client.write(Buffer.concat([clientFrame(0x1, 'hello'), clientFrame(0x2, 'bytes')]))
    await expect.poll(() => events.messages).toHaveLength(2)
    expect(events.messages).toEqual([
      { data: 'hello', isBinary: false },
      { data: 'bytes', isBinary: true },
    ])
    expect(events.heardBytes.reduce((a, b) => a + b, 0)).toBe(22)
    client.destroy()
  })

  it("answers the client's close frame with the same code and reason, then reports the end", async () => {
    const { events, client, read } = await linkedPair()
    client.write(clientFrame(0x8, closePayload(4001, 'done')))
    await closed(client)
    await events.whenEnded()
    expect(parseFrames(read())).toEqual([{ opcode: 0x8, payload: closePayload(4001, 'done') }])
    expect(events.ends).toEqual([{ code: 4001, reason: 'done' }])
  })

  it('answers an empty close frame with an empty one, and reports 1005', async () => {
    const { events, client, read } = await linkedPair()
    client.write(clientFrame(0x8))
    await closed(client)
    await events.whenEnded()
    expect(parseFrames(read())).toEqual([{ opcode: 0x8, payload: Buffer.alloc(0) }])
    expect(events.ends).toEqual([{ code: 1005, reason: '' }])
  })

  it("closes with a code and reason, sends no data frame after it, and ends on the client's reply", async () => {
    const { link, events, client, read } = await linkedPair()
    link.close(4002, 'bye')
    expect(link.isOpen).toBe(false)
    link.ping()
    await expect
      .poll(() => parseFrames(read()))
      .toEqual([{ opcode: 0x8, payload: closePayload(4002, 'bye') }])
    client.write(clientFrame(0x8, closePayload(4002, 'bye')))
    await closed(client)
    await events.whenEnded()
    expect(events.ends).toEqual([{ code: 4002, reason: 'bye' }])
  })

  it('destroys the socket when the client does not answer a close in time (1006)', async () => {
    const { link, events, client } = await linkedPair()
    const started = performance.now()
    link.close(1000, '')
    await events.whenEnded()
    const waited = performance.now() - started
    expect(waited).toBeGreaterThanOrEqual(CLOSE_HANDSHAKE_TIMEOUT_MS - 5)
    expect(events.ends).toEqual([{ code: 1006, reason: '' }])
    await closed(client)
  })

  it('answers a ping with a pong of the same data, and sends pings of its own, each after the held output', async () => {
    const { link, events, client, read } = await linkedPair()
    client.write(clientFrame(0x9, 'are you there'))
    link.ping()
    await expect.poll(() => parseFrames(read())).toHaveLength(2)
    // Each frame of its own is written after the output held for the socket.
    expect(events.releases).toBe(2)
    const frames = parseFrames(read()).map(({ opcode, payload }) => [opcode, payload.toString()])
    expect(frames).toContainEqual([0xa, 'are you there'])
    expect(frames).toContainEqual([0x9, ''])
    client.destroy()
  })

  it('fails a protocol error once, with the code that says how, and stops reading', async () => {
    const { events, client, read } = await linkedPair()
    // An unmasked client frame, then more that must not be read.
    client.write(Buffer.concat([clientFrame(0x1, 'bad', false), clientFrame(0x1, 'late')]))
    await events.whenEnded()
    await closed(client)
    expect(events.failures).toEqual(['WS_ERR_EXPECTED_MASK:1002'])
    expect(events.messages).toEqual([])
    expect(parseFrames(read())).toEqual([{ opcode: 0x8, payload: closePayload(1002) }])
    expect(events.ends).toEqual([{ code: 1006, reason: '' }])
  })

  it('closes a message over maxPayload with 1009', async () => {
    const { events, client, read } = await linkedPair({ maxPayload: 10 })
    client.write(clientFrame(0x1, 'eleven char'))
    await events.whenEnded()
    expect(events.failures).toEqual(['WS_ERR_UNSUPPORTED_MESSAGE_LENGTH:1009'])
    expect(parseFrames(read())).toEqual([{ opcode: 0x8, payload: closePayload(1009) }])
    client.destroy()
  })

  it('ends its side when the client ends its own without a close frame, and reports 1006', async () => {
    const { link, events, client } = await linkedPair()
    client.end()
    await events.whenEnded()
    await closed(client)
    expect(events.ends).toEqual([{ code: 1006, reason: '' }])
    expect(link.isOpen).toBe(false)
  })

  it('takes a close frame that crosses its own, and ends once both are through', async () => {
    const { link, events, client, read } = await linkedPair()
    link.close(1001, 'going away')
    client.write(clientFrame(0x8, closePayload(1000, 'bye')))
    await events.whenEnded()
    await closed(client)
    // Its own close frame only: a close already sent is not answered again.
    expect(parseFrames(read())).toEqual([
      { opcode: 0x8, payload: closePayload(1001, 'going away') },
    ])
    expect(events.ends).toEqual([{ code: 1000, reason: 'bye' }])
  })

  it('ends the socket and the parser once each, however the connection closes', async () => {
    // end() on a stream already ended builds an error to say so: count those calls.
    const end = Writable.prototype.end
    let endedAgain = 0
    const spy = vi.spyOn(Writable.prototype, 'end').mockImplementation(function (
      this: Writable,
      ...args: Parameters<Writable['end']>
    ) {
      if (this.writableEnded) endedAgain++
      return end.apply(this, args)
    })
    try {
      // The client closes, the server answers and ends, then the client ends: the socket's
      // 'end' and 'close' come after the server's own end().
      const closing = await linkedPair()
      closing.client.write(clientFrame(0x8, closePayload(1000)))
      await closing.events.whenEnded()
      closing.client.end()
      await closed(closing.client)
      // The client ends without a close frame: the 'end' and then the 'close' each end.
      const ending = await linkedPair()
      ending.client.end()
      await ending.events.whenEnded()
      await closed(ending.client)
      expect(closing.events.ends).toEqual([{ code: 1000, reason: '' }])
      expect(ending.events.ends).toEqual([{ code: 1006, reason: '' }])
      expect(spy).toHaveBeenCalled()
      expect(endedAgain).toBe(0)
    } finally {
      spy.mockRestore()
    }
  })

  it('reports a reset socket once, as 1006', async () => {
    const { link, events, client } = await linkedPair()
    client.resetAndDestroy()
    await events.whenEnded()
    expect(events.ends).toEqual([{ code: 1006, reason: '' }])
    expect(link.isOpen).toBe(false)
    link.close(1000, '')
    link.terminate()
    expect(events.ends).toHaveLength(1)
  })

  it('reads nothing while paused, and everything in order once resumed', async () => {
    const { link, events, client } = await linkedPair()
    link.pause()
    expect(link.isPaused).toBe(true)
    client.write(Buffer.concat([clientFrame(0x1, 'one'), clientFrame(0x1, 'two')]))
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(events.messages).toEqual([])
    link.resume()
    await expect.poll(() => events.messages.map((m) => m.data)).toEqual(['one', 'two'])
    client.destroy()
  })

  it('drops a client owing more than 60 pongs that were not written out', async () => {
    // A socket whose writes never complete: every pong stays owed.
    const socket = new Duplex({ read() {}, write() {} })
    const pongs: Buffer[] = []
    const write = socket.write.bind(socket)
    socket.write = ((chunk: Buffer, callback?: () => void) => {
      pongs.push(chunk)
      return write(chunk, callback)
    }) as typeof socket.write
    const events = new Recorded()
    WebSocketLink.open(socket, Buffer.alloc(0), events, { maxPayload: 1024, rawBytes: false })
    for (let i = 0; i < 61; i++) socket.push(clientFrame(0x9, `${i}`))
    await events.whenEnded()
    // 60 pongs written, none for the 61st ping: the socket was dropped instead.
    expect(pongs.map((frame) => frame.subarray(2).toString())).toEqual(
      Array.from({ length: 60 }, (_, i) => `${i}`),
    )
    expect(socket.destroyed).toBe(true)
    expect(events.ends).toEqual([{ code: 1006, reason: '' }])
  })
})

// The corked, frame-once output path (websocket-output.ts) seen from real clients.
import { connect } from 'node:net'
import type { Application, Send } from '@node-channels/core'
import { describe, expect, it, onTestFinished } from 'vitest'
import type { WebSocket } from 'ws'
import {
  closeOf,
  deferred,
  handshake,
  nextMessage,
  openClient,
  Recording,
  stalledClient,
  startServer,
  withEcho,
  withTimeout,
  wsApp,
} from './helpers.js'

/**
 * A group application: every connection joins one set of `send` functions. A client message
 * `all:<count>` makes its connection send `<count>` numbered messages to every member, all in
 * the same turn (no await between them): a group send as the server sees it.
 */
function groupApp(): { application: Application; joined: () => number } {
  const members = new Set<Send>()
  const application: Application = async (scope, receive, send) => {
    if (scope.type !== 'websocket') return
    await receive()
    await send({ type: 'websocket.accept' })
    members.add(send)
    for (;;) {
      const event = await receive()
      if (event.type === 'websocket.disconnect') break
      const count = Number(String(event.text).replace('all:', ''))
      const sent: Array<Promise<void>> = []
      for (let n = 0; n < count; n++) {
        for (const member of members) {
          sent.push(member({ type: 'websocket.send', text: `broadcast ${n}` }))
        }
      }
      await Promise.all(sent)
    }
    members.delete(send)
  }
  return { application, joined: () => members.size }
}

/** Collects a client's next `count` text messages. */
async function texts(ws: WebSocket, count: number, timeoutMs = 3000): Promise<string[]> {
  const received: string[] = []
  for (let i = 0; i < count; i++) {
    const [data, isBinary] = await nextMessage(ws, timeoutMs)
    received.push(`${isBinary ? 'bytes' : 'text'} ${data.toString()}`)
  }
  return received
}

describe('WebSocket output', () => {
  it('delivers a broadcast sent to many sockets in one turn to each, in order', async () => {
    const { application, joined } = groupApp()
    const { port } = await startServer(application)
    const clients = await Promise.all(
      Array.from({ length: 40 }, () => openClient(`ws://127.0.0.1:${port}/group/`)),
    )
    expect(joined()).toBe(40)
    clients[7]?.send('all:25')
    const expected = Array.from({ length: 25 }, (_, n) => `text broadcast ${n}`)
    const received = await Promise.all(clients.map((ws) => texts(ws, 25)))
    for (const messages of received) expect(messages).toEqual(expected)
  })

  it('keeps one socket in order across corked turns, text and binary interleaved', async () => {
    const recording = new Recording()
    const app = wsApp(recording, async (receive, send) => {
      await receive()
      await send({ type: 'websocket.accept' })
      await receive()
      for (let i = 0; i < 200; i++) {
        const message =
          i % 3 === 0
            ? { type: 'websocket.send', bytes: Buffer.from(`${i}`) }
            : { type: 'websocket.send', text: `${i}` }
        // Some sends are awaited, some not; every seventh waits for the next turn.
        if (i % 2 === 0) await send(message)
        else void send(message)
        if (i % 7 === 0) await new Promise((resolve) => setImmediate(resolve))
      }
      await receive()
    })
    const { port } = await startServer(app)
    const ws = await openClient(`ws://127.0.0.1:${port}/order/`)
    ws.send('go')
    const expected = Array.from({ length: 200 }, (_, i) => `${i % 3 === 0 ? 'bytes' : 'text'} ${i}`)
    expect(await texts(ws, 200)).toEqual(expected)
  })

  it('sends the messages sent right before a close, then the close', async () => {
    const app = wsApp(new Recording(), async (receive, send) => {
      await receive()
      await send({ type: 'websocket.accept' })
      void send({ type: 'websocket.send', text: 'one' })
      void send({ type: 'websocket.send', bytes: Buffer.from('two') })
      void send({ type: 'websocket.send', text: 'three' })
      await send({ type: 'websocket.close', code: 4000, reason: 'bye' })
      await receive()
    })
    const { port } = await startServer(app)
    const ws = await openClient(`ws://127.0.0.1:${port}/`)
    const closed = closeOf(ws)
    expect(await texts(ws, 3)).toEqual(['text one', 'bytes two', 'text three'])
    expect(await closed).toEqual({ code: 4000, reason: 'bye' })
  })

  it('sends large text and binary messages whole, at every length boundary', async () => {
    const sizes = [0, 125, 126, 65_535, 65_536, 5 * 1024 * 1024 + 3]
    const app = wsApp(new Recording(), async (receive, send) => {
      await receive()
      await send({ type: 'websocket.accept' })
      await receive()
      for (const size of sizes) {
        void send({ type: 'websocket.send', text: 'é'.repeat(size >> 1) + 'x'.repeat(size & 1) })
        void send({ type: 'websocket.send', bytes: new Uint8Array(size).fill(size % 256) })
      }
      await receive()
    })
    const { port } = await startServer(app)
    const ws = await openClient(`ws://127.0.0.1:${port}/`)
    ws.send('go')
    for (const size of sizes) {
      const [text, textIsBinary] = await nextMessage(ws, 5000)
      expect(textIsBinary).toBe(false)
      expect(text.length).toBe(size)
      expect(text.toString()).toBe('é'.repeat(size >> 1) + 'x'.repeat(size & 1))
      const [bytes, isBinary] = await nextMessage(ws, 5000)
      expect(isBinary).toBe(true)
      expect(bytes.equals(Buffer.alloc(size, size % 256))).toBe(true)
    }
  })

  it('closes with 1008 when one turn owes a client that does not read more than maxBufferedBytes', async () => {
    const recording = new Recording()
    const app = wsApp(recording, async (receive, send) => {
      await receive()
      await send({ type: 'websocket.accept' })
      const chunk = new Uint8Array(64 * 1024)
      // All in one turn: 32 MiB, more than a loopback socket takes, so most stays owed.
      for (let i = 0; i < 512; i++) void send({ type: 'websocket.send', bytes: chunk })
      await receive()
    })
    const { port, logger } = await startServer(withEcho(app), { maxBufferedBytes: 256 * 1024 })
    const socket = stalledClient(port, '/slow/')
    const line = await logger.waitFor(/over 262144 bytes of output waiting for a slow client/)
    expect(line.level).toBe('warn')
    socket.destroy()
    expect(await recording.waitFor('websocket.disconnect', 3000)).toMatchObject({ code: 1008 })
    // Once closing, the rest of the turn's sends were dropped: one close, one warning.
    expect(logger.lines.filter((l) => /bytes of output waiting/.test(l.message))).toHaveLength(1)
  })

  it('does not negotiate permessage-deflate, so its frames are plain', async () => {
    const { port } = await startServer(withEcho(async () => {}))
    const ws = await openClient(`ws://127.0.0.1:${port}/echo/`, [], { perMessageDeflate: true })
    expect(ws.extensions).toBe('')
    ws.send('x'.repeat(10_000))
    const [data] = await withTimeout(nextMessage(ws), 2000, 'the echo')
    expect(data.toString()).toBe('x'.repeat(10_000))
  })
})

/** A masked client text frame (RFC 6455 §5.3), as a browser sends it. */
function clientFrame(text: string): Buffer {
  const payload = Buffer.from(text)
  const mask = Buffer.from([1, 2, 3, 4])
  const masked = payload.map((byte, i) => byte ^ (mask[i % 4] ?? 0))
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked])
}

describe('WebSocket input sent with the handshake', () => {
  it('delivers messages the client sent before the 101, with the request and while held', async () => {
    const recording = new Recording()
    const accept = deferred()
    const app = wsApp(recording, async (receive, send) => {
      await receive()
      await accept.promise // held until the test has sent its second frame
      await send({ type: 'websocket.accept' })
      for (let i = 0; i < 2; i++) {
        const event = await receive()
        await send({ type: 'websocket.send', text: `got ${String(event.text)}` })
      }
      await receive()
    })
    const { port } = await startServer(app)
    const socket = connect(port, '127.0.0.1')
    onTestFinished(() => {
      socket.destroy()
    })
    const received: Buffer[] = []
    const replied = new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        received.push(chunk)
        if (Buffer.concat(received).includes('got second')) resolve()
      })
    })
    // The first frame comes in the same packet as the request, the second during the hold.
    socket.write(Buffer.concat([Buffer.from(handshake('/early/')), clientFrame('first')]))
    await recording.waitFor('websocket.connect')
    await new Promise<void>((resolve) => socket.write(clientFrame('second'), () => resolve()))
    await new Promise((resolve) => setTimeout(resolve, 20)) // let the server read it while held
    accept.resolve()
    await withTimeout(replied, 2000, 'the replies to the early messages')
    const text = Buffer.concat(received).toString('latin1')
    expect(text.startsWith('HTTP/1.1 101 Switching Protocols')).toBe(true)
    expect(text.endsWith('\x81\x09got first\x81\x0agot second')).toBe(true)
  })
})

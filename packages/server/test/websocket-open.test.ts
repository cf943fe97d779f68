import type { Message, Receive } from '@node-channels/core'
import { describe, expect, it, onTestFinished } from 'vitest'
import { WebSocket } from 'ws'
import {
  assertEchoes,
  closeOf,
  deferred,
  nextMessage,
  openClient,
  Recording,
  stalledClient,
  startServer,
  withEcho,
  withTimeout,
  wsApp,
} from './helpers.js'

/** Receives events until the disconnect, then proves no second one comes within 100 ms. */
async function untilDisconnect(receive: Receive): Promise<Message> {
  for (;;) {
    const event = await receive()
    if (event.type !== 'websocket.disconnect') continue
    const more = await Promise.race([
      receive().then(() => 'another event'),
      new Promise((resolve) => setTimeout(resolve, 100, 'nothing')),
    ])
    if (more !== 'nothing') throw new Error('A second event arrived after websocket.disconnect')
    return event
  }
}

const acceptThenWait = (recording: Recording) =>
  wsApp(recording, async (receive, send) => {
    await receive()
    await send({ type: 'websocket.accept' })
    await untilDisconnect(receive)
  })

describe('open WebSocket', () => {
  it('carries text and binary frames both ways, unchanged', async () => {
    const recording = new Recording()
    const app = wsApp(recording, async (receive, send) => {
      await receive()
      await send({ type: 'websocket.accept' })
      await send({ type: 'websocket.send', text: 'here be dragons 🐉' })
      await send({ type: 'websocket.send', bytes: Buffer.from('what is here? \xe2', 'latin1') })
      await send({ type: 'websocket.send', bytes: new Uint8Array([1, 2, 3]) })
      await send({ type: 'websocket.send', text: '' })
      await untilDisconnect(receive)
    })
    const { port } = await startServer(app)
    const ws = await openClient(`ws://127.0.0.1:${port}/`)
    const messages: Array<[Buffer, boolean]> = []
    for (let i = 0; i < 4; i++) messages.push(await nextMessage(ws))
    expect(messages[0]?.[0].toString()).toBe('here be dragons 🐉')
    expect(messages[0]?.[1]).toBe(false)
    expect(messages[1]).toEqual([Buffer.from('what is here? \xe2', 'latin1'), true])
    expect(messages[2]).toEqual([Buffer.from([1, 2, 3]), true])
    expect(messages[3]).toEqual([Buffer.alloc(0), false])
    ws.send('what is here? 🌍')
    ws.send(Buffer.from('what is here? \xe2', 'latin1'))
    await recording.waitFor('websocket.receive')
    const closed = closeOf(ws)
    ws.close(1000)
    await closed
    await recording.waitFor('websocket.disconnect')
    expect(recording.received.slice(1, 3)).toEqual([
      { type: 'websocket.receive', text: 'what is here? 🌍' },
      { type: 'websocket.receive', bytes: Buffer.from('what is here? \xe2', 'latin1') },
    ])
  })

  it.each([
    ['a close frame with 1000', (ws: WebSocket) => ws.close(1000), 1000, ''],
    [
      'a close frame with 4000 and a reason',
      (ws: WebSocket) => ws.close(4000, 'bye now'),
      4000,
      'bye now',
    ],
    ['a close frame without a code', (ws: WebSocket) => ws.close(), 1005, ''],
    ['a lost connection', (ws: WebSocket) => ws.terminate(), 1006, ''],
  ])('delivers websocket.disconnect exactly once for %s', async (_what, end, code, reason) => {
    const recording = new Recording()
    const { port, access } = await startServer(acceptThenWait(recording))
    const ws = await openClient(`ws://127.0.0.1:${port}/bye/`)
    end(ws)
    expect(await recording.waitFor('websocket.disconnect')).toEqual({
      type: 'websocket.disconnect',
      code,
      reason,
    })
    expect(await access.waitFor(/WSDISCONNECT/)).toMatch(
      new RegExp(`"WSDISCONNECT /bye/" ${code} -$`),
    )
    await withTimeout(new Promise((resolve) => setTimeout(resolve, 150)), 1000, 'the once-check')
    expect(recording.received.filter((m) => m.type === 'websocket.disconnect')).toHaveLength(1)
  })

  it('loses nothing and keeps order when the application falls behind (the socket is paused, then resumed)', async () => {
    const go = deferred()
    const texts: string[] = []
    const app = wsApp(new Recording(), async (receive, send) => {
      await receive()
      await send({ type: 'websocket.accept' })
      await go.promise
      while (texts.length < 150) texts.push(String((await receive()).text))
      await send({ type: 'websocket.send', text: 'got them all' })
      await untilDisconnect(receive)
    })
    const { port } = await startServer(app)
    const ws = await openClient(`ws://127.0.0.1:${port}/`)
    const written = deferred()
    for (let i = 0; i < 150; i++)
      ws.send(`message ${i}`, i === 149 ? () => written.resolve() : undefined)
    await written.promise
    go.resolve()
    expect((await nextMessage(ws))[0].toString()).toBe('got them all')
    expect(texts).toEqual(Array.from({ length: 150 }, (_, i) => `message ${i}`))
  })

  it('passes the close code and reason of websocket.close to the client', async () => {
    const recording = new Recording()
    const app = wsApp(recording, async (receive, send) => {
      await receive()
      await send({ type: 'websocket.accept' })
      await send({ type: 'websocket.close', code: 4007, reason: 'see you' })
      await untilDisconnect(receive)
    })
    const { port } = await startServer(app)
    const ws = await openClient(`ws://127.0.0.1:${port}/`)
    expect(await closeOf(ws)).toEqual({ code: 4007, reason: 'see you' })
    expect(await recording.waitFor('websocket.disconnect')).toEqual({
      type: 'websocket.disconnect',
      code: 4007,
      reason: 'see you',
    })
  })

  it('closes with 1011 and logs when the application crashes after accepting', async () => {
    const app = wsApp(new Recording(), async (receive, send) => {
      await receive()
      await send({ type: 'websocket.accept' })
      await receive()
      throw new Error('receive exploded')
    })
    const { port, logger } = await startServer(withEcho(app))
    const ws = await openClient(`ws://127.0.0.1:${port}/`)
    ws.send('boom')
    expect(await closeOf(ws)).toEqual({ code: 1011, reason: 'Internal server error' })
    const line = await logger.waitFor(/^Exception inside application for WebSocket \/ from/)
    expect((line.error as Error).message).toBe('receive exploded')
    await assertEchoes(`ws://127.0.0.1:${port}/echo/`)
  })

  it('rejects a websocket.send with both text and bytes, and the crash closes 1011', async () => {
    const failure = deferred<unknown>()
    const app = wsApp(new Recording(), async (receive, send) => {
      await receive()
      await send({ type: 'websocket.accept' })
      await send({ type: 'websocket.send', text: 'a', bytes: Buffer.from('b') }).catch((error) => {
        failure.resolve(error)
        throw error
      })
    })
    const { port } = await startServer(app)
    const ws = await openClient(`ws://127.0.0.1:${port}/both/`)
    expect(((await failure.promise) as Error).message).toBe(
      'Got invalid WebSocket reply message on /both/ - contains both bytes and text keys',
    )
    expect((await closeOf(ws)).code).toBe(1011)
  })

  it('closes with 1000 when the application returns after accepting (Daphne leaves it open)', async () => {
    const app = wsApp(new Recording(), async (receive, send) => {
      await receive()
      await send({ type: 'websocket.accept' })
    })
    const { port } = await startServer(app)
    const ws = await openClient(`ws://127.0.0.1:${port}/`)
    expect(await closeOf(ws)).toEqual({ code: 1000, reason: '' })
  })

  it('closes a 1 MiB + 1 message with 1009; the application sees only connect and disconnect', async () => {
    const recording = new Recording()
    const { port, logger } = await startServer(withEcho(acceptThenWait(recording)))
    const ws = await openClient(`ws://127.0.0.1:${port}/big/`)
    ws.send(Buffer.alloc(1024 * 1024 + 1))
    expect((await closeOf(ws)).code).toBe(1009)
    expect(await recording.waitFor('websocket.disconnect')).toMatchObject({ code: 1009 })
    expect(recording.received.map((m) => m.type)).toEqual([
      'websocket.connect',
      'websocket.disconnect',
    ])
    expect((await logger.waitFor(/Max payload size exceeded/)).level).toBe('warn')
    await assertEchoes(`ws://127.0.0.1:${port}/echo/`)
  })

  it('delivers a message of exactly the limit', async () => {
    const { port } = await startServer(withEcho(acceptThenWait(new Recording())), {
      websocketMaxMessageSize: 64,
    })
    const ws = await openClient(`ws://127.0.0.1:${port}/echo/`)
    ws.send(Buffer.alloc(64, 7))
    expect((await nextMessage(ws))[0]).toEqual(Buffer.alloc(64, 7))
    ws.send(Buffer.alloc(65))
    expect((await closeOf(ws)).code).toBe(1009)
  })

  it('closes a text frame that is not UTF-8 with 1007 and keeps serving others', async () => {
    const recording = new Recording()
    const { port, logger } = await startServer(withEcho(acceptThenWait(recording)))
    const ws = await openClient(`ws://127.0.0.1:${port}/utf8/`)
    ws.send(Buffer.from([0x68, 0xff, 0xfe]), { binary: false })
    expect((await closeOf(ws)).code).toBe(1007)
    expect(await recording.waitFor('websocket.disconnect')).toMatchObject({ code: 1007 })
    expect(recording.received.map((m) => m.type)).toEqual([
      'websocket.connect',
      'websocket.disconnect',
    ])
    expect(
      (await logger.waitFor(/invalid UTF-8 sequence \(WS_ERR_INVALID_UTF8\); closing\./)).level,
    ).toBe('warn')
    await assertEchoes(`ws://127.0.0.1:${port}/echo/`)
  })

  it('drops a client that stops answering pings (1006 to the application) and keeps a healthy one', async () => {
    const recording = new Recording()
    const { port, logger } = await startServer(withEcho(acceptThenWait(recording)), {
      pingIntervalMs: 50,
      pingTimeoutMs: 100,
    })
    const healthy = await openClient(`ws://127.0.0.1:${port}/echo/`)
    const pinged = deferred()
    const dead = await openClient(`ws://127.0.0.1:${port}/dead/`, [], { autoPong: false })
    dead.once('ping', () => pinged.resolve())
    await pinged.promise
    expect((await closeOf(dead)).code).toBe(1006)
    expect(await recording.waitFor('websocket.disconnect')).toMatchObject({ code: 1006 })
    expect((await logger.waitFor(/no answer to a ping within 100 ms; dropped/)).message).toMatch(
      /^WebSocket \/dead\/ from 127\.0\.0\.1:\d+: /,
    )
    healthy.send('alive')
    expect((await nextMessage(healthy))[0].toString()).toBe('alive')
  })

  it('never pings with a pingIntervalMs of 0, and keeps a silent client', async () => {
    const recording = new Recording()
    const { port } = await startServer(withEcho(acceptThenWait(recording)), {
      pingIntervalMs: 0,
      pingTimeoutMs: 5,
    })
    const silent = await openClient(`ws://127.0.0.1:${port}/silent/`, [], { autoPong: false })
    let pings = 0
    silent.on('ping', () => pings++)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(pings).toBe(0)
    expect(silent.readyState).toBe(WebSocket.OPEN)
    expect(recording.received.map((m) => m.type)).toEqual(['websocket.connect'])
  })

  it('pings a silent client after each pingIntervalMs, and keeps it while it answers', async () => {
    const { port } = await startServer(withEcho(acceptThenWait(new Recording())), {
      pingIntervalMs: 30,
      pingTimeoutMs: 60,
    })
    const ws = await openClient(`ws://127.0.0.1:${port}/answering/`)
    const pingedAt: number[] = []
    const openedAt = performance.now()
    ws.on('ping', () => pingedAt.push(performance.now() - openedAt))
    await new Promise((resolve) => setTimeout(resolve, 250))
    expect(pingedAt.length).toBeGreaterThanOrEqual(3)
    expect(pingedAt[0]).toBeGreaterThanOrEqual(25)
    expect(ws.readyState).toBe(WebSocket.OPEN)
  })

  it('closes with 1000 when websocketTimeoutMs (maximum lifetime) passes', async () => {
    const recording = new Recording()
    const { port } = await startServer(acceptThenWait(recording), { websocketTimeoutMs: 100 })
    const ws = await openClient(`ws://127.0.0.1:${port}/`)
    expect(await closeOf(ws)).toEqual({ code: 1000, reason: 'Connection lifetime exceeded' })
  })

  it('closes with 1008 when a client that does not read owes more than maxBufferedBytes', async () => {
    const recording = new Recording()
    const app = wsApp(recording, async (receive, send) => {
      await receive()
      await send({ type: 'websocket.accept' })
      const chunk = Buffer.alloc(256 * 1024)
      for (let i = 0; i < 200; i++) {
        await send({ type: 'websocket.send', bytes: chunk })
        await new Promise((resolve) => setImmediate(resolve))
        if (recording.received.length > 1) break
      }
      await untilDisconnect(receive)
    })
    const { port, logger } = await startServer(withEcho(app), { maxBufferedBytes: 64 * 1024 })
    // A raw client that completes the handshake and then never reads.
    stalledClient(port, '/slow/')
    const line = await logger.waitFor(/over 65536 bytes of output waiting for a slow client/)
    expect(line.level).toBe('warn')
    expect(await recording.waitFor('websocket.disconnect', 3000)).toMatchObject({ code: 1008 })
    await assertEchoes(`ws://127.0.0.1:${port}/echo/`)
  })

  it('abandons an application that does not return after its disconnect: its receive() rejects', async () => {
    const cancelled = deferred<unknown>()
    const app = wsApp(new Recording(), async (receive, send) => {
      await receive()
      await send({ type: 'websocket.accept' })
      await receive() // the disconnect
      await receive().catch(cancelled.resolve) // waits for an event that never comes
      await send({ type: 'websocket.send', text: 'dropped' })
    })
    const { port, logger } = await startServer(app, { applicationCloseTimeoutMs: 50 })
    const ws = await openClient(`ws://127.0.0.1:${port}/stuck/`)
    ws.close()
    const error = (await cancelled.promise) as Error
    expect(error.name).toBe('CancelledError')
    expect(error.message).toMatch(
      /^Application instance for WebSocket \/stuck\/ from .* was cancelled\.$/,
    )
    expect(
      (await logger.waitFor(/took too long to shut down and was abandoned after 50 ms/)).level,
    ).toBe('warn')
  })
})

describe('graceful shutdown', () => {
  it('closes every WebSocket with 1001, tells the applications, and finishes', async () => {
    const recording = new Recording()
    const { handle, port } = await startServer(acceptThenWait(recording))
    const clients = [
      await openClient(`ws://127.0.0.1:${port}/a/`),
      await openClient(`ws://127.0.0.1:${port}/b/`),
    ]
    const closes = clients.map((ws) => closeOf(ws))
    const startedAt = performance.now()
    await handle.close()
    const tookMs = performance.now() - startedAt
    expect(await Promise.all(closes)).toEqual([
      { code: 1001, reason: 'Server shutting down' },
      { code: 1001, reason: 'Server shutting down' },
    ])
    expect(recording.received.filter((m) => m.type === 'websocket.disconnect')).toEqual([
      { type: 'websocket.disconnect', code: 1001, reason: 'Server shutting down' },
      { type: 'websocket.disconnect', code: 1001, reason: 'Server shutting down' },
    ])
    expect(tookMs).toBeLessThan(1000)
    expect(handle.server.listening).toBe(false)
    await expect(openClient(`ws://127.0.0.1:${port}/a/`)).rejects.toThrow(/ECONNREFUSED/)
  })

  it('answers a handshake still waiting for its application with 503', async () => {
    const started = deferred()
    const recording = new Recording()
    const app = wsApp(recording, async (receive) => {
      await receive()
      started.resolve()
      await receive()
    })
    const { handle, port } = await startServer(app)
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`)
    onTestFinished(() => ws.terminate())
    const status = new Promise((resolve) =>
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode)),
    )
    ws.on('error', () => {})
    await started.promise
    await handle.close()
    expect(await status).toBe(503)
    expect(recording.received.at(-1)).toMatchObject({ type: 'websocket.disconnect', code: 1006 })
  })
})

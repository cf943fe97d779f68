import { describe, expect, it } from 'vitest'
import {
  assertEchoes,
  echoApp,
  handshake,
  openClient,
  Recording,
  rawExchange,
  startServer,
  withEcho,
  wsApp,
} from './helpers.js'

const KEY = 'dGhlIHNhbXBsZSBub25jZQ=='

describe('bad WebSocket handshakes', () => {
  it.each([
    [
      'garbage bytes',
      '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n',
      /^HTTP\/1\.1 400 Bad Request\r\n/,
    ],
    [
      'a missing Sec-WebSocket-Key',
      'GET /ws/ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n',
      /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*\r\n\r\nMissing or invalid Sec-WebSocket-Key header$/,
    ],
    [
      'an unsupported version',
      `GET /ws/ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 12\r\n\r\n`,
      /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*Missing or invalid Sec-WebSocket-Version header$/,
    ],
    [
      'a POST upgrade',
      `POST /ws/ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n`,
      /^HTTP\/1\.1 405 Method Not Allowed\r\n[\s\S]*Invalid HTTP method$/,
    ],
    [
      'another Upgrade protocol',
      'GET /ws/ HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n',
      /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*Invalid Upgrade header$/,
    ],
    [
      'a malformed subprotocol list',
      handshake('/ws/', 'Sec-WebSocket-Protocol: a,,b\r\n'),
      /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*Invalid Sec-WebSocket-Protocol header$/,
    ],
    [
      'a smuggled header value (CVE-2026-44546)',
      handshake('/ws/', 'X-Smuggle: a\x85b\r\n'),
      /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*Invalid header value$/,
    ],
    [
      'a path that is not UTF-8',
      handshake('/ws/%ff/'),
      /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*Invalid UTF-8 in path$/,
    ],
    [
      'headers over 16 KiB',
      handshake('/ws/', `X-Big: ${'a'.repeat(20 * 1024)}\r\n`),
      /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/,
    ],
  ])(
    'answers %s without starting an application, and keeps serving',
    async (_what, request, expected) => {
      const recording = new Recording()
      const { port } = await startServer(withEcho(wsApp(recording, async () => {})))
      expect(await rawExchange(port, Buffer.from(request, 'latin1'))).toMatch(expected)
      expect(recording.scopes).toEqual([])
      await assertEchoes(`ws://127.0.0.1:${port}/echo/`)
    },
  )

  it('drops a client that sends over 64 KiB before its handshake is answered', async () => {
    const recording = new Recording()
    const app = wsApp(recording, async (receive) => {
      await receive()
      await receive()
    })
    const { port, logger } = await startServer(withEcho(app))
    const raw = await rawExchange(
      port,
      Buffer.concat([Buffer.from(handshake('/early/')), Buffer.alloc(70 * 1024)]),
    )
    expect(raw).toBe('')
    expect(await recording.waitFor('websocket.disconnect')).toMatchObject({ code: 1006 })
    expect((await logger.waitFor(/sent data before the handshake completed; dropped/)).level).toBe(
      'warn',
    )
    await assertEchoes(`ws://127.0.0.1:${port}/echo/`)
  })

  it('tells the application 1006 when the client leaves during the handshake', async () => {
    const recording = new Recording()
    const app = wsApp(recording, async (receive) => {
      await receive()
      await receive()
    })
    const { port, access } = await startServer(app)
    const { connect } = await import('node:net')
    const socket = connect(port, '127.0.0.1')
    socket.write(handshake('/leaving/'))
    await recording.waitFor('websocket.connect')
    socket.end()
    expect(await recording.waitFor('websocket.disconnect')).toEqual({
      type: 'websocket.disconnect',
      code: 1006,
      reason: '',
    })
    expect(await access.waitFor(/WSDISCONNECT/)).toMatch(/"WSDISCONNECT \/leaving\/" 1006 -$/)
  })
})

describe('WebSocket scope details', () => {
  it('keeps raw_path, drops headers with underscores and takes root_path from node-channels-root-path', async () => {
    const recording = new Recording()
    const app = wsApp(recording, async (receive, send) => {
      await receive()
      await send({ type: 'websocket.accept' })
      await receive()
    })
    const { port } = await startServer(app, { rootPath: '/ignored' })
    await openClient(`ws://127.0.0.1:${port}/foo%2Fbar`, [], {
      headers: { X_Under: 'nope', 'Node-Channels-Root-Path': '/pre%20fix' },
    })
    const scope = recording.scopes[0]
    expect(scope?.path).toBe('/foo/bar')
    expect(scope?.raw_path).toBe('/foo%2Fbar')
    expect(scope?.root_path).toBe('/pre fix')
    const names = ((scope?.headers ?? []) as Array<[string, string]>).map(([name]) => name)
    expect(names).not.toContain('x_under')
    expect(names).not.toContain('node-channels-root-path')
  })

  it('uses the rootPath option verbatim', async () => {
    const recording = new Recording()
    const app = wsApp(recording, async (receive, send) => {
      await receive()
      await send({ type: 'websocket.accept' })
      await receive()
    })
    const { port } = await startServer(app, { rootPath: '/a%20b' })
    await openClient(`ws://127.0.0.1:${port}/`)
    expect(recording.scopes[0]?.root_path).toBe('/a%20b')
  })

  it.each([
    [false, ['127.0.0.1', expect.any(Number)], 'ws'],
    [true, ['10.1.2.3', 8443], 'wss'],
  ])('reads X-Forwarded-* only with proxyHeaders (%s)', async (proxyHeaders, client, scheme) => {
    const recording = new Recording()
    const app = wsApp(recording, async (receive, send) => {
      await receive()
      await send({ type: 'websocket.accept' })
      await receive()
    })
    const { port } = await startServer(app, { proxyHeaders })
    await openClient(`ws://127.0.0.1:${port}/`, [], {
      headers: {
        'X-Forwarded-For': '10.1.2.3, 10.0.0.1',
        'X-Forwarded-Port': '8443',
        'X-Forwarded-Proto': 'https',
      },
    })
    expect(recording.scopes[0]?.client).toEqual(client)
    expect(recording.scopes[0]?.scheme).toBe(scheme)
  })

  it('does not apply httpTimeoutMs to WebSockets', async () => {
    const { port } = await startServer(echoApp, { httpTimeoutMs: 50 })
    const ws = await openClient(`ws://127.0.0.1:${port}/`)
    await new Promise((resolve) => setTimeout(resolve, 120))
    await assertEchoes(`ws://127.0.0.1:${port}/`)
    expect(ws.readyState).toBe(ws.OPEN)
  })
})

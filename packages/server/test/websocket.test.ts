import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import {
  assertEchoes,
  deferred,
  handshake,
  openClient,
  Recording,
  rawExchange,
  refusedClient,
  startServer,
  withEcho,
  wsApp,
} from './helpers.js'

const accepting = (
  recording: Recording,
  after?: (receive: () => Promise<unknown>) => Promise<void>,
) =>
  wsApp(recording, async (receive, send) => {
    await receive()
    await send({ type: 'websocket.accept' })
    if (after) await after(receive)
    else while ((await receive()).type !== 'websocket.disconnect');
  })

describe('WebSocket handshake', () => {
  it('accepts with 101 and gives a full scope and exactly {type: websocket.connect}', async () => {
    const recording = new Recording()
    const { port, access } = await startServer(accepting(recording))
    const ws = await openClient(`ws://127.0.0.1:${port}/chat/r%C3%A9sum%C3%A9/?a=1&b=%20`, [], {
      headers: { 'X-Custom': '  value  ', Cookie: 'a=1' },
    })
    const scope = recording.scopes[0]
    expect(Object.keys(scope ?? {}).sort()).toEqual(
      [
        'asgi',
        'client',
        'headers',
        'http_version',
        'path',
        'query_string',
        'raw_path',
        'root_path',
        'scheme',
        'server',
        'subprotocols',
        'type',
      ].sort(),
    )
    expect(scope).toMatchObject({
      type: 'websocket',
      asgi: { version: '3.0', spec_version: '2.4' },
      path: '/chat/résumé/',
      raw_path: '/chat/r%C3%A9sum%C3%A9/',
      query_string: 'a=1&b=%20',
      root_path: '',
      scheme: 'ws',
      http_version: '1.1',
      subprotocols: [],
      client: ['127.0.0.1', expect.any(Number)],
      server: ['127.0.0.1', port],
    })
    const headers = (scope?.headers ?? []) as Array<[string, string]>
    expect(headers).toContainEqual(['x-custom', 'value'])
    expect(headers).toContainEqual(['cookie', 'a=1'])
    expect(headers.every(([name]) => name === name.toLowerCase())).toBe(true)
    expect(recording.received[0]).toEqual({ type: 'websocket.connect' })
    expect(await access.waitFor(/"WSCONNECT \/chat\/résumé\/"/)).toMatch(
      /^127\.0\.0\.1:\d+ - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\] "WSCONNECT \/chat\/résumé\/" - -$/,
    )
    expect(access.lines[0]).toMatch(/"WSCONNECTING \/chat\/résumé\/"/)
    ws.close()
  })

  it('answers 403 Access denied when the application closes before accepting', async () => {
    const recording = new Recording()
    const app = wsApp(recording, async (receive, send) => {
      await receive()
      await send({ type: 'websocket.close', code: 4001 })
      await receive()
    })
    const { port, access } = await startServer(app)
    const raw = await rawExchange(port, handshake('/denied/'))
    expect(raw).toMatch(/^HTTP\/1\.1 403 Access denied\r\n/)
    expect(raw.endsWith('\r\n\r\n')).toBe(true)
    expect(await recording.waitFor('websocket.disconnect')).toEqual({
      type: 'websocket.disconnect',
      code: 1006,
      reason: '',
    })
    expect(await access.waitFor(/WSREJECT/)).toMatch(/"WSREJECT \/denied\/" 403 -$/)
    expect((await refusedClient(`ws://127.0.0.1:${port}/denied/`)).status).toBe(403)
  })

  it('negotiates the subprotocol the application picks among those offered', async () => {
    const recording = new Recording()
    const app = wsApp(recording, async (receive, send) => {
      await receive()
      await send({ type: 'websocket.accept', subprotocol: 'proto2' })
      await receive()
    })
    const { port } = await startServer(app)
    const ws = await openClient(`ws://127.0.0.1:${port}/`, ['proto1', 'proto2'])
    expect(ws.protocol).toBe('proto2')
    expect(recording.scopes[0]?.subprotocols).toEqual(['proto1', 'proto2'])
  })

  it('treats a subprotocol the client did not offer as an application error: 500 and a log line', async () => {
    const recording = new Recording()
    const failure = deferred<unknown>()
    const app = wsApp(recording, async (receive, send) => {
      await receive()
      await send({ type: 'websocket.accept', subprotocol: 'proto9' }).catch(failure.resolve)
      await receive()
    })
    const { port, logger } = await startServer(app)
    expect((await refusedClient(`ws://127.0.0.1:${port}/`, ['proto1'])).status).toBe(500)
    expect(((await failure.promise) as Error).message).toBe(
      'Subprotocol "proto9" in websocket.accept was not offered by the client (offered: ["proto1"]).',
    )
    expect((await logger.waitFor(/proto9/)).level).toBe('error')
    expect(await recording.waitFor('websocket.disconnect')).toMatchObject({ code: 1006 })
  })

  it('adds the headers of websocket.accept, and the Server header, to the 101 response', async () => {
    const app = wsApp(new Recording(), async (receive, send) => {
      await receive()
      await send({
        type: 'websocket.accept',
        headers: [
          ['x-test', 'yes'],
          ['set-cookie', 'a=1'],
          [Buffer.from('x-bytes'), Buffer.from('ok')],
        ],
      })
      await receive()
    })
    const { port } = await startServer(app)
    const upgrade = deferred<Record<string, string | string[] | undefined>>()
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`)
    ws.once('upgrade', (res) => upgrade.resolve(res.headers))
    const headers = await upgrade.promise
    expect(headers['x-test']).toBe('yes')
    expect(headers['set-cookie']).toEqual(['a=1'])
    expect(headers['x-bytes']).toBe('ok')
    expect(headers.server).toBe('node-channels')
    ws.terminate()
  })

  it('answers 500 when the application crashes before accepting, and logs the error with its stack', async () => {
    const boom = new Error('connect exploded')
    const app = wsApp(new Recording(), async (receive) => {
      await receive()
      throw boom
    })
    const { port, logger, access } = await startServer(app)
    expect(await rawExchange(port, handshake('/crash/'))).toMatch(
      /^HTTP\/1\.1 500 Internal Server Error\r\n/,
    )
    const line = await logger.waitFor(/^Exception inside application for WebSocket \/crash\/ from/)
    expect(line).toMatchObject({ level: 'error', error: boom })
    expect(await access.waitFor(/WSREJECT/)).toMatch(/"WSREJECT \/crash\/" 500 -$/)
  })

  it('answers 404 for RouteNotFound, logged only at debug level', async () => {
    const app = wsApp(new Recording(), async () => {
      const error = new Error("No route found for path 'nowhere/'.")
      error.name = 'RouteNotFound'
      throw error
    })
    const { port, logger } = await startServer(app)
    expect((await refusedClient(`ws://127.0.0.1:${port}/nowhere/`)).status).toBe(404)
    expect((await logger.waitFor(/No route found/)).level).toBe('debug')
    expect(logger.lines.filter((line) => line.level === 'error')).toEqual([])
  })

  it('answers 500 when the application returns without accepting or closing', async () => {
    const app = wsApp(new Recording(), async (receive) => {
      await receive()
    })
    const { port, logger } = await startServer(app)
    expect((await refusedClient(`ws://127.0.0.1:${port}/`)).status).toBe(500)
    expect((await logger.waitFor(/returned without accepting or closing/)).level).toBe('error')
  })

  it('answers 500 when the application sends before accepting, and its send() rejects', async () => {
    const failure = deferred<unknown>()
    const app = wsApp(new Recording(), async (receive, send) => {
      await receive()
      await send({ type: 'websocket.send', text: 'too early' }).catch(failure.resolve)
      await receive()
    })
    const { port } = await startServer(app)
    expect((await refusedClient(`ws://127.0.0.1:${port}/`)).status).toBe(500)
    expect(((await failure.promise) as Error).message).toBe(
      'Socket has not been accepted, so cannot send over it',
    )
  })

  it('answers 504 when the application never answers, then tells it 1006', async () => {
    const recording = new Recording()
    const app = wsApp(recording, async (receive) => {
      await receive()
      await receive() // never accepts
    })
    const { port, logger } = await startServer(withEcho(app), { websocketConnectTimeoutMs: 100 })
    const startedAt = performance.now()
    expect((await refusedClient(`ws://127.0.0.1:${port}/slow/`)).status).toBe(504)
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(90)
    expect(await recording.waitFor('websocket.disconnect')).toMatchObject({ code: 1006 })
    expect((await logger.waitFor(/did not accept or close within 100 ms/)).level).toBe('warn')
    await assertEchoes(`ws://127.0.0.1:${port}/echo/`)
  })
})

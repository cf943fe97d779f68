import { request } from 'node:http'
import type { Message } from '@node-channels/core'
import { describe, expect, it } from 'vitest'
import { deferred, handshake, httpRequest, Recording, rawExchange, startServer } from './helpers.js'
import { failing, httpApp, respond } from './http-helpers.js'

describe('HTTP responses', () => {
  it('streams a response with more_body and ends it with an empty body event', async () => {
    const app = httpApp(new Recording(), async (_receive, send) => {
      await send({ type: 'http.response.start', status: 201, headers: [['x-custom', 'yes']] })
      await send({ type: 'http.response.body', body: Buffer.from('chunk 1, '), more_body: true })
      await send({ type: 'http.response.body', body: Buffer.from('chunk 2'), more_body: true })
      await send({ type: 'http.response.body' })
    })
    const { port } = await startServer(app)
    const response = await httpRequest(port, '/')
    expect(response.status).toBe(201)
    expect(response.headers['transfer-encoding']).toBe('chunked')
    expect(response.headers['x-custom']).toBe('yes')
    expect(response.body.toString()).toBe('chunk 1, chunk 2')
  })

  it('keeps an application-set Server header and sends none with serverName ""', async () => {
    const app = httpApp(new Recording(), async (_receive, send, scope) =>
      respond(send, 200, 'x', scope.path === '/own' ? [['Server', 'mine']] : []),
    )
    const { port } = await startServer(app)
    expect((await httpRequest(port, '/own')).headers.server).toBe('mine')
    const quiet = await startServer(app, { serverName: '' })
    expect((await httpRequest(quiet.port, '/')).headers.server).toBeUndefined()
  })

  it('sends http.disconnect when the client goes away mid-response', async () => {
    const recording = new Recording()
    const app = httpApp(recording, async (receive, send) => {
      await receive()
      await send({ type: 'http.response.start', status: 200, headers: [] })
      await send({ type: 'http.response.body', body: Buffer.from('first'), more_body: true })
      await receive() // resolves with http.disconnect once the client leaves
      await send({ type: 'http.response.body', body: Buffer.from('dropped'), more_body: true })
    })
    const { port } = await startServer(app)
    const req = request({ host: '127.0.0.1', port, path: '/sse', agent: false }, (res) => {
      res.once('data', () => req.destroy())
    })
    req.on('error', () => {})
    req.end()
    expect(await recording.waitFor('http.disconnect')).toEqual({ type: 'http.disconnect' })
  })

  it.each<[string, Message[], number, string]>([
    [
      'a body before the start',
      [{ type: 'http.response.body', body: Buffer.from('x') }],
      500,
      'HTTP response has not yet been started but got http.response.body',
    ],
    [
      'a start without a status',
      [{ type: 'http.response.start', headers: [] }],
      500,
      'Specifying a status code is required for a Response message.',
    ],
    [
      'an unknown type',
      [{ type: 'http.response.foo' }],
      500,
      'Cannot handle message type http.response.foo!',
    ],
    [
      'a header name that is not a string',
      [{ type: 'http.response.start', status: 200, headers: [[7, 'x']] }],
      500,
      'Header name 7 expected to be a string or Uint8Array, but got number.',
    ],
    [
      'a header value with a newline',
      [{ type: 'http.response.start', status: 200, headers: [['x-a', 'a\r\nb']] }],
      500,
      'Header value "a\\r\\nb" of "x-a" contains invalid characters.',
    ],
    [
      'a message without a type',
      [{ status: 200 } as unknown as Message],
      500,
      'Message has no type defined: {"status":200}.',
    ],
  ])('rejects %s in send() and answers 500', async (_what, messages, status, problem) => {
    const errors: Error[] = []
    const app = httpApp(new Recording(), async (_receive, send) => {
      for (const message of messages) errors.push(await failing(send, message))
    })
    const { port, logger } = await startServer(app)
    const response = await httpRequest(port, '/')
    expect(response.status).toBe(status)
    expect(errors.map((e) => e.message)).toEqual([problem])
    if (problem.startsWith('Message has no type')) return
    expect(await logger.waitFor(/sent an invalid message/)).toMatchObject({ level: 'warn' })
  })

  it('rejects a second start but lets the first response finish', async () => {
    const errors: Error[] = []
    const app = httpApp(new Recording(), async (_receive, send) => {
      await send({ type: 'http.response.start', status: 202, headers: [] })
      errors.push(await failing(send, { type: 'http.response.start', status: 200, headers: [] }))
      await send({ type: 'http.response.body', body: Buffer.from('first wins') })
    })
    const { port } = await startServer(app)
    const response = await httpRequest(port, '/')
    expect(response.status).toBe(202)
    expect(response.body.toString()).toBe('first wins')
    expect(errors.map((e) => e.message)).toEqual(['HTTP response has already been started'])
  })

  it('answers 500 and logs the stack when the application throws', async () => {
    const boom = new Error('view exploded')
    const app = httpApp(new Recording(), async () => {
      throw boom
    })
    const { port, logger, access } = await startServer(app)
    const response = await httpRequest(port, '/boom')
    expect(response.status).toBe(500)
    expect(response.body.toString()).toContain('<h1>500 Internal Server Error</h1>')
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(
      await logger.waitFor(/^Exception inside application for HTTP GET \/boom from/),
    ).toMatchObject({
      level: 'error',
      error: boom,
    })
    expect(await access.waitFor(/boom/)).toMatch(/"GET \/boom" 500 \d+$/)
  })

  it('answers 404 when the application throws RouteNotFound', async () => {
    const app = httpApp(new Recording(), async () => {
      const error = new Error("No route found for path 'missing/'.")
      error.name = 'RouteNotFound'
      throw error
    })
    const { port, logger } = await startServer(app)
    expect((await httpRequest(port, '/missing/')).status).toBe(404)
    expect(logger.lines.filter((line) => line.level === 'error')).toEqual([])
  })

  it('answers 500 with a log line when the application returns without responding (Daphne hangs)', async () => {
    const app = httpApp(new Recording(), async () => {})
    const { port, logger } = await startServer(app)
    expect((await httpRequest(port, '/')).status).toBe(500)
    expect((await logger.waitFor(/returned without sending a response; answered 500/)).level).toBe(
      'error',
    )
  })

  it('cuts the connection when the application returns in the middle of a response', async () => {
    const app = httpApp(new Recording(), async (_receive, send) => {
      await send({ type: 'http.response.start', status: 200, headers: [] })
      await send({ type: 'http.response.body', body: Buffer.from('half'), more_body: true })
    })
    const { port, logger } = await startServer(app)
    await expect(httpRequest(port, '/')).rejects.toThrow(/aborted|socket hang up|ECONNRESET/)
    expect((await logger.waitFor(/returned before finishing its response/)).level).toBe('warn')
  })

  it('answers 503 when no response has started within httpTimeoutMs', async () => {
    const released = deferred()
    const app = httpApp(new Recording(), async () => released.promise)
    const { port, logger } = await startServer(app, { httpTimeoutMs: 50 })
    const response = await httpRequest(port, '/slow')
    released.resolve()
    expect(response.status).toBe(503)
    expect(response.body.toString()).toContain('Application failed to respond within time limit.')
    expect((await logger.waitFor(/no response within 50 ms; answered 503/)).level).toBe('warn')
  })

  it('answers a 431 for oversized request headers and keeps serving', async () => {
    const app = httpApp(new Recording(), async (_receive, send) => respond(send, 200, 'OK'))
    const { port } = await startServer(app)
    const raw = await rawExchange(
      port,
      `GET / HTTP/1.1\r\nHost: h\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    )
    expect(raw).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/)
    expect(await rawExchange(port, 'garbage\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/)
    expect((await httpRequest(port, '/')).status).toBe(200)
    expect(await rawExchange(port, handshake('/').replace('GET', 'PUT'))).toMatch(
      /^HTTP\/1\.1 405 /,
    )
  })
})

import { Agent, request } from 'node:http'
import type { Message, Receive, Scope, Send } from '@node-channels/core'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  deferred,
  handshake,
  httpRequest,
  Recording,
  rawExchange,
  startServer,
  withTimeout,
} from './helpers.js'

type Script = (receive: Receive, send: Send, scope: Scope) => Promise<void>

/** An HTTP application that records what it receives and runs `script`. */
function httpApp(recording: Recording, script: Script) {
  return async (scope: Scope, receive: Receive, send: Send) => {
    if (scope.type === 'lifespan') throw new Error('no lifespan here')
    await script(recording.wrap(scope, receive), send, scope)
  }
}

/** Reads the whole request body through receive(). */
async function readBody(receive: Receive): Promise<Buffer> {
  const chunks: Buffer[] = []
  for (;;) {
    const event = await receive()
    if (event.type !== 'http.request') throw new Error(`Got ${event.type} while reading the body`)
    chunks.push(Buffer.from(event.body as Uint8Array))
    if (!event.more_body) return Buffer.concat(chunks)
  }
}

async function respond(
  send: Send,
  status: number,
  body: string,
  headers: Array<[string, string]> = [],
) {
  await send({ type: 'http.response.start', status, headers })
  await send({ type: 'http.response.body', body: Buffer.from(body) })
}

/** Captures the error a send() rejects with, then rethrows nothing. */
async function failing(send: Send, message: Message): Promise<Error> {
  try {
    await send(message)
  } catch (error) {
    return error as Error
  }
  throw new Error(`send(${JSON.stringify(message)}) did not reject`)
}

describe('HTTP scope', () => {
  it('gives a full scope, an empty body, and http.disconnect after the response', async () => {
    const recording = new Recording()
    const app = httpApp(recording, async (receive, send) => {
      await receive()
      await respond(send, 200, 'OK')
      await receive()
    })
    const { port, access } = await startServer(app)
    const response = await httpRequest(port, '/http/p%2Fq?x=1&y=%C3%A9')
    expect(response.status).toBe(200)
    expect(response.body.toString()).toBe('OK')
    expect(response.headers.server).toBe('node-channels')
    expect(response.headers['content-length']).toBe('2')
    const scope = recording.scopes[0]
    expect(Object.keys(scope ?? {}).sort()).toEqual(
      [
        'asgi',
        'client',
        'headers',
        'http_version',
        'method',
        'path',
        'query_string',
        'raw_path',
        'root_path',
        'scheme',
        'server',
        'type',
      ].sort(),
    )
    expect(scope).toMatchObject({
      type: 'http',
      asgi: { version: '3.0', spec_version: '2.4' },
      http_version: '1.1',
      method: 'GET',
      scheme: 'http',
      path: '/http/p/q',
      raw_path: '/http/p%2Fq',
      query_string: 'x=1&y=%C3%A9',
      root_path: '',
      client: ['127.0.0.1', expect.any(Number)],
      server: ['127.0.0.1', port],
    })
    await recording.waitFor('http.disconnect')
    expect(recording.received).toEqual([
      { type: 'http.request', body: new Uint8Array(0), more_body: false },
      { type: 'http.disconnect' },
    ])
    expect(await access.waitFor(/GET/)).toMatch(
      /^127\.0\.0\.1:\d+ - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\] "GET \/http\/p%2Fq\?x=1&y=%C3%A9" 200 2$/,
    )
  })

  it('lower-cases and strips headers, keeps duplicates in order, drops underscores, takes the root path header', async () => {
    const recording = new Recording()
    const app = httpApp(recording, async (_receive, send) => respond(send, 200, 'OK'))
    const { port } = await startServer(app)
    const raw = await rawExchange(
      port,
      'GET / HTTP/1.1\r\nHost: h\r\nMYCUSTOMHEADER:    foobar    \r\nFoo: a\r\nFoo: b\r\n' +
        'X_Under: 1\r\nNode-Channels-Root-Path: /r%C3%A9\r\nConnection: close\r\n\r\n',
    )
    expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(recording.scopes[0]?.headers).toEqual([
      ['host', 'h'],
      ['mycustomheader', 'foobar'],
      ['foo', 'a'],
      ['foo', 'b'],
      ['connection', 'close'],
    ])
    expect(recording.scopes[0]?.root_path).toBe('/ré')
  })

  it.each([
    [false, {}, 'not forwarded'],
    [true, { 'X-Forwarded-For': '10.1.2.3', 'X-Forwarded-Port': '80' }, ['10.1.2.3', 80]],
    [true, { 'X-Forwarded-For': '10.1.2.3' }, ['10.1.2.3', 0]],
    [false, { 'X-Forwarded-For': '10.1.2.3', 'X-Forwarded-Port': '80' }, 'not forwarded'],
  ])('proxy headers (enabled: %s, %j) give client %j', async (proxyHeaders, headers, client) => {
    const recording = new Recording()
    const app = httpApp(recording, async (_receive, send) => respond(send, 200, 'OK'))
    const { port } = await startServer(app, { proxyHeaders })
    await httpRequest(port, '/', { headers: { ...headers, 'X-Forwarded-Proto': 'https' } })
    const scope = recording.scopes[0]
    if (client === 'not forwarded') {
      expect(scope?.client).toEqual(['127.0.0.1', expect.any(Number)])
      expect(scope?.scheme).toBe('http')
    } else {
      expect(scope?.client).toEqual(client)
      expect(scope?.scheme).toBe('https')
    }
  })

  it.each([
    [
      'a header value with \\x85',
      'GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x85b\r\n\r\n',
      'Invalid header value',
    ],
    [
      'a path that is not UTF-8',
      'GET /caf%E9 HTTP/1.1\r\nHost: h\r\n\r\n',
      'Invalid UTF-8 in path',
    ],
  ])('answers 400 for %s', async (_what, request, detail) => {
    const recording = new Recording()
    const app = httpApp(recording, async (_receive, send) => respond(send, 200, 'OK'))
    const { port } = await startServer(app)
    const raw = await rawExchange(
      port,
      Buffer.from(`${request.slice(0, -2)}Connection: close\r\n\r\n`, 'latin1'),
    )
    expect(raw).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/)
    expect(raw).toContain(`<p>${detail}</p>`)
    expect(recording.scopes).toEqual([])
    expect((await httpRequest(port, '/fine')).status).toBe(200)
  })
})

describe('HTTP request bodies', () => {
  it('streams the body in chunks as they arrive, the last with more_body false', async () => {
    const recording = new Recording()
    const app = httpApp(recording, async (receive, send) => {
      const body = await readBody(receive)
      await respond(send, 200, `got ${body.toString()}`)
      await receive()
    })
    const { port } = await startServer(app)
    const response = deferred<string>()
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: '/upload', agent: false },
      (res) => {
        let text = ''
        res.on('data', (chunk) => {
          text += chunk
        })
        res.on('end', () => response.resolve(text))
      },
    )
    onTestFinished(() => {
      req.destroy()
    })
    req.write('part one;')
    await recording.waitFor('http.request')
    req.write('part two;')
    await recording.waitFor('http.request', 2000, 2)
    req.end('end')
    expect(await withTimeout(response.promise, 2000, 'the response')).toBe(
      'got part one;part two;end',
    )
    await recording.waitFor('http.disconnect')
    const requests = recording.received.filter((m) => m.type === 'http.request')
    expect(requests.length).toBeGreaterThanOrEqual(3)
    expect(
      requests.slice(0, 2).map((m) => [Buffer.from(m.body as Uint8Array).toString(), m.more_body]),
    ).toEqual([
      ['part one;', true],
      ['part two;', true],
    ])
    expect(requests.at(-1)?.more_body).toBe(false)
    expect(recording.received.at(-1)).toEqual({ type: 'http.disconnect' })
  })

  it('delivers a known-length body and never reads a body the application does not ask for', async () => {
    let reads = 0
    const app = httpApp(new Recording(), async (receive, send, scope) => {
      if (scope.path === '/read') {
        reads++
        const body = await readBody(receive)
        return respond(send, 200, `${body.length}`)
      }
      return respond(send, 200, 'ignored')
    })
    const { port } = await startServer(app)
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    onTestFinished(() => agent.destroy())
    const post = (path: string, body: Buffer) =>
      new Promise<string>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, method: 'POST', path, agent }, (res) => {
          let text = ''
          res.on('data', (chunk) => {
            text += chunk
          })
          res.on('end', () => resolve(text))
        })
        req.on('error', reject)
        req.end(body)
      })
    expect(await post('/skip', Buffer.alloc(200_000, 1))).toBe('ignored')
    expect(await post('/read', Buffer.alloc(200_000, 2))).toBe('200000')
    expect(await post('/skip', Buffer.alloc(10))).toBe('ignored')
    expect(reads).toBe(1)
  })
})

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

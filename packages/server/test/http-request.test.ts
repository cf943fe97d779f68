import { Agent, request } from 'node:http'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  deferred,
  httpRequest,
  Recording,
  rawExchange,
  startServer,
  withTimeout,
} from './helpers.js'
import { httpApp, readBody, respond } from './http-helpers.js'

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

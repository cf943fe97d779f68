// The long-polling transport over a real server on the in-memory layer: the handshake,
// frames both ways, close and expiry, shutdown, and an answer for every bad request.
import {
  type Application,
  InMemoryChannelLayer,
  type Message,
  resetChannelLayers,
  type Scope,
  setChannelLayer,
} from '@node-channels/core'
import { afterEach, describe, expect, it } from 'vitest'
import { type LongPollOptions, longPoll } from '../src/index.js'
import { echoApp, Recording, startServer, wsApp } from './helpers.js'

afterEach(async () => {
  await resetChannelLayers()
})

const SESSION = 'node-channels-session'

interface Reply {
  status: number
  headers: Headers
  body: Record<string, unknown> | null
}

/** A small client of the transport's endpoints (fetch, JSON). */
function client(base: string, origin: string | null = null) {
  const call = async (
    method: string,
    endpoint: string,
    {
      session,
      body,
      headers = {},
    }: { session?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Reply> => {
    const all: Record<string, string> = { ...headers }
    if (origin !== null) all.origin = origin
    if (session !== undefined) all[SESSION] = session
    if (body !== undefined && all['content-type'] === undefined)
      all['content-type'] = 'application/json'
    const response = await fetch(`${base}/lp/${endpoint}`, {
      method,
      headers: all,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    })
    const text = await response.text()
    return {
      status: response.status,
      headers: response.headers,
      body: text === '' ? null : (JSON.parse(text) as Record<string, unknown>),
    }
  }
  return {
    call,
    open: (path: string, subprotocols?: string[]) =>
      call('POST', 'open', { body: subprotocols ? { path, subprotocols } : { path } }),
    poll: (session: string, ack = 0) => call('GET', `poll?ack=${ack}`, { session }),
    send: (session: string, seq: number, frames: Array<{ type: string; data: string }>) =>
      call('POST', 'send', { session, body: { seq, frames } }),
    close: (session: string, body: unknown = {}) => call('POST', 'close', { session, body }),
  }
}

async function serveLongPoll(
  app: Application,
  options: LongPollOptions = {},
  layer = new InMemoryChannelLayer(),
) {
  setChannelLayer(layer)
  const transport = longPoll(app, {
    pollTimeoutMs: 300,
    replyTimeoutMs: 300,
    applicationCloseTimeoutMs: 200,
    ...options,
  })
  const { handle, logger } = await startServer(async (scope, receive, send) => {
    if (scope.type === 'lifespan') throw new Error('no lifespan here')
    return transport(scope, receive, send)
  })
  return { handle, logger, transport, lp: client(handle.url), layer }
}

describe('longPoll: the handshake', () => {
  it('runs the application with the WebSocket scope the client would have had', async () => {
    const recording = new Recording()
    const app = wsApp(recording, async (receive, send) => {
      await receive()
      await send({
        type: 'websocket.accept',
        subprotocol: 'chat.v2',
        headers: [['set-cookie', 'a=1']],
      })
      await receive()
    })
    const { lp } = await serveLongPoll(app)
    const opened = await lp.call('POST', 'open', {
      body: { path: '/ws/chat/caf%C3%A9/?room=1&x=%20', subprotocols: ['chat.v1', 'chat.v2'] },
      headers: { cookie: 'sessionid=abc' },
    })
    expect(opened.status).toBe(200)
    expect(opened.body).toEqual({
      session: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      subprotocol: 'chat.v2',
      pollTimeoutMs: 300,
    })
    expect(opened.headers.get('set-cookie')).toBe('a=1')
    expect(opened.headers.get('cache-control')).toBe('no-store')
    const scope = recording.scopes[0] as Scope
    expect(scope).toMatchObject({
      type: 'websocket',
      scheme: 'ws',
      path: '/ws/chat/café/',
      raw_path: '/ws/chat/caf%C3%A9/',
      query_string: 'room=1&x=%20',
      subprotocols: ['chat.v1', 'chat.v2'],
      client: ['127.0.0.1', expect.any(Number)],
    })
    expect(scope.headers).toContainEqual(['cookie', 'sessionid=abc'])
    expect((scope.headers as string[][]).map(([name]) => name)).not.toContain('content-type')
    expect(recording.received[0]).toEqual({ type: 'websocket.connect' })
  })

  it.each([
    [
      'a close before accept',
      async (receive: () => Promise<Message>, send: (m: Message) => Promise<void>) => {
        await send({ type: 'websocket.close' })
        await receive()
      },
      403,
    ],
    [
      'a route that is not found',
      async () => {
        throw Object.assign(new Error("No route found for path 'nope/'."), {
          name: 'RouteNotFound',
        })
      },
      404,
    ],
    [
      'an application error',
      async () => {
        throw new RangeError('broken')
      },
      500,
    ],
    ['no answer in time', () => new Promise<void>(() => {}), 504],
    [
      'an accept choosing a subprotocol the client did not offer',
      async (_receive: () => Promise<Message>, send: (m: Message) => Promise<void>) => {
        await send({ type: 'websocket.accept', subprotocol: 'chat.v9' })
      },
      500,
    ],
    [
      'an accept setting a header the server manages',
      async (_receive: () => Promise<Message>, send: (m: Message) => Promise<void>) => {
        await send({ type: 'websocket.accept', headers: [['connection', 'close']] })
      },
      500,
    ],
  ])('answers %s with the matching status', async (_name, script, status) => {
    const recording = new Recording()
    const app = wsApp(recording, async (receive, send) => {
      await receive()
      await script(receive, send)
    })
    const { lp } = await serveLongPoll(app, { connectTimeoutMs: 200 })
    const opened = await lp.open('/ws/')
    expect(opened.status).toBe(status)
    expect(typeof opened.body?.error).toBe('string')
    if (status === 403) {
      expect(await recording.waitFor('websocket.disconnect')).toEqual({
        type: 'websocket.disconnect',
        code: 1006,
      })
    }
  })
})

describe('longPoll: frames both ways', () => {
  it('delivers text and binary frames, numbered, until acknowledged', async () => {
    const { lp } = await serveLongPoll(echoApp)
    const { body } = await lp.open('/echo/')
    const session = String(body?.session)
    expect(
      (
        await lp.send(session, 1, [
          { type: 'text', data: 'hello' },
          { type: 'bytes', data: Buffer.from([0, 1, 255]).toString('base64') },
        ])
      ).status,
    ).toBe(204)
    const polled = await lp.poll(session)
    expect(polled.status).toBe(200)
    expect(polled.body).toEqual({
      events: [
        { seq: 1, type: 'text', data: 'hello' },
        { seq: 2, type: 'bytes', data: 'AAH/' },
      ],
    })
    // Not acknowledged: a poll with ack=0 gets them again (the previous answer may be lost).
    expect((await lp.poll(session, 0)).body).toEqual(polled.body)
    // Acknowledged, and nothing new: the poll waits pollTimeoutMs, then answers 204.
    const startedAt = Date.now()
    expect((await lp.poll(session, 2)).status).toBe(204)
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(250)
  })

  it('answers a held poll as soon as the application sends', async () => {
    const { lp } = await serveLongPoll(echoApp, { pollTimeoutMs: 5000 })
    const session = String((await lp.open('/echo/')).body?.session)
    const held = lp.poll(session)
    await new Promise((resolve) => setTimeout(resolve, 50))
    await lp.send(session, 1, [{ type: 'text', data: 'now' }])
    expect((await held).body).toEqual({ events: [{ seq: 1, type: 'text', data: 'now' }] })
  })

  it('delivers a retried send once, and refuses a gap in the numbering with 409', async () => {
    const recording = new Recording()
    const app = wsApp(recording, async (receive, send) => {
      await receive()
      await send({ type: 'websocket.accept' })
      for (;;) if ((await receive()).type === 'websocket.disconnect') return
    })
    const { lp } = await serveLongPoll(app)
    const session = String((await lp.open('/ws/')).body?.session)
    await lp.send(session, 1, [{ type: 'text', data: 'a' }])
    await lp.send(session, 1, [
      { type: 'text', data: 'a' },
      { type: 'text', data: 'b' },
    ])
    const gap = await lp.send(session, 5, [{ type: 'text', data: 'e' }])
    expect(gap).toMatchObject({
      status: 409,
      body: { error: 'Frames are missing: expected seq 3, got 5.' },
    })
    await lp.close(session)
    await recording.waitFor('websocket.disconnect')
    expect(recording.received.map((m) => m.text ?? m.type)).toEqual([
      'websocket.connect',
      'a',
      'b',
      'websocket.disconnect',
    ])
  })
})

describe('longPoll: closing', () => {
  it('passes the client close code and reason to the application, then forgets the session', async () => {
    const recording = new Recording()
    const app = wsApp(recording, async (receive, send) => {
      await receive()
      await send({ type: 'websocket.accept' })
      await receive()
    })
    const { lp, transport } = await serveLongPoll(app)
    const session = String((await lp.open('/ws/')).body?.session)
    expect(transport.sessions).toBe(1)
    expect((await lp.close(session, { code: 4000, reason: 'bye' })).status).toBe(204)
    expect(await recording.waitFor('websocket.disconnect')).toEqual({
      type: 'websocket.disconnect',
      code: 4000,
      reason: 'bye',
    })
    expect(transport.sessions).toBe(0)
    expect(await lp.poll(session)).toMatchObject({
      status: 404,
      body: { error: 'Unknown or expired session.' },
    })
  })

  it('sends the application close as a close event; acknowledging it ends the session', async () => {
    const app: Application = async (_scope, receive, send) => {
      await receive()
      await send({ type: 'websocket.accept' })
      await send({ type: 'websocket.send', text: 'last words' })
      await send({ type: 'websocket.close', code: 4001, reason: 'done' })
      await receive()
    }
    const { lp, transport } = await serveLongPoll(app)
    const session = String((await lp.open('/ws/')).body?.session)
    expect((await lp.poll(session)).body).toEqual({
      events: [
        { seq: 1, type: 'text', data: 'last words' },
        { seq: 2, type: 'close', code: 4001, reason: 'done' },
      ],
    })
    expect((await lp.poll(session, 2)).status).toBe(204)
    expect(transport.sessions).toBe(0)
  })

  it.each([
    [{ type: 'websocket.close', code: 1006 }],
    [{ type: 'websocket.close', reason: 'x'.repeat(124) }],
    [{ type: 'websocket.send', text: 'a', bytes: new Uint8Array(1) }],
    [{ type: 'websocket.send' }],
  ])('treats the invalid %j as an application error: close 1011', async (message) => {
    const app: Application = async (_scope, receive, send) => {
      await receive()
      await send({ type: 'websocket.accept' })
      await send(message)
    }
    const { lp, logger } = await serveLongPoll(app)
    const session = String((await lp.open('/ws/')).body?.session)
    expect((await lp.poll(session)).body).toEqual({
      events: [{ seq: 1, type: 'close', code: 1011, reason: '' }],
    })
    await logger.waitFor(/^Exception inside application for long-poll \/ws\//)
  })

  it('closes with 1011 when the application throws after accept', async () => {
    const app: Application = async (_scope, receive, send) => {
      await receive()
      await send({ type: 'websocket.accept' })
      throw new RangeError('crash')
    }
    const { lp, logger } = await serveLongPoll(app)
    const session = String((await lp.open('/ws/')).body?.session)
    expect((await lp.poll(session)).body).toEqual({
      events: [{ seq: 1, type: 'close', code: 1011, reason: '' }],
    })
    await logger.waitFor(/^Exception inside application for long-poll \/ws\//)
  })

  it('expires a session that stops polling: the application sees 1006', async () => {
    const recording = new Recording()
    const app = wsApp(recording, async (receive, send) => {
      await receive()
      await send({ type: 'websocket.accept' })
      await receive()
    })
    const { lp, transport } = await serveLongPoll(app, {
      pollTimeoutMs: 100,
      sessionTimeoutMs: 200,
    })
    await lp.open('/ws/')
    expect(await recording.waitFor('websocket.disconnect', 3000)).toEqual({
      type: 'websocket.disconnect',
      code: 1006,
    })
    expect(transport.sessions).toBe(0)
  })

  it('closes with 1008 when output for a client that does not poll passes maxBufferedBytes', async () => {
    const recording = new Recording()
    const app = wsApp(recording, async (receive, send) => {
      await receive()
      await send({ type: 'websocket.accept' })
      for (let i = 0; i < 10; i++) await send({ type: 'websocket.send', text: 'x'.repeat(100) })
      await receive()
    })
    const { lp } = await serveLongPoll(app, { maxBufferedBytes: 450 })
    const session = String((await lp.open('/ws/')).body?.session)
    expect(await recording.waitFor('websocket.disconnect')).toEqual({
      type: 'websocket.disconnect',
      code: 1008,
      reason: 'Output buffer limit exceeded',
    })
    const events = (await lp.poll(session)).body?.events as Array<{ type: string; code?: number }>
    expect(events.at(-1)).toMatchObject({ type: 'close', code: 1008 })
  })

  it('disconnects sessions with 1001 on server shutdown, answering the held poll', async () => {
    const recording = new Recording()
    const app = wsApp(recording, async (receive, send) => {
      await receive()
      await send({ type: 'websocket.accept' })
      await receive()
    })
    const { lp, handle } = await serveLongPoll(app, { pollTimeoutMs: 10_000 })
    const session = String((await lp.open('/ws/')).body?.session)
    const held = lp.poll(session)
    await new Promise((resolve) => setTimeout(resolve, 50))
    const startedAt = Date.now()
    await handle.close()
    expect(Date.now() - startedAt).toBeLessThan(2000)
    expect((await held).body).toEqual({
      events: [{ seq: 1, type: 'close', code: 1001, reason: 'Server shutting down' }],
    })
    expect(recording.received.at(-1)).toEqual({
      type: 'websocket.disconnect',
      code: 1001,
      reason: 'Server shutting down',
    })
  })
})

describe('longPoll: every bad request gets a clear answer', () => {
  it('answers unknown sessions 404, other origins 403', async () => {
    const { lp, handle } = await serveLongPoll(echoApp)
    expect(await lp.poll('not-a-session')).toMatchObject({
      status: 404,
      body: {
        error: 'Unknown session: send the id from open in the node-channels-session header.',
      },
    })
    expect((await lp.call('GET', 'poll')).status).toBe(404)
    expect(await lp.poll('A'.repeat(22))).toMatchObject({
      status: 404,
      body: { error: 'Unknown or expired session.' },
    })
    // Same-origin: the origin check on open lets it through, and binds the session to it.
    const mine = client(handle.url, handle.url)
    const session = String((await mine.open('/echo/')).body?.session)
    const theirs = client(handle.url, 'http://evil.example')
    expect(await theirs.poll(session)).toMatchObject({
      status: 403,
      body: { error: 'This session belongs to another origin.' },
    })
    expect((await mine.send(session, 1, [{ type: 'text', data: 'ok' }])).status).toBe(204)
  })

  it.each([
    ['GET', 'open', 405, undefined, {}, 'open takes POST, not GET.'],
    ['POST', 'poll', 405, {}, {}, 'poll takes GET, not POST.'],
    ['POST', 'nope', 404, {}, {}, 'No long-poll endpoint at "/lp/nope".'],
    ['POST', 'open', 400, '{"path":', {}, 'The body is not valid JSON.'],
    [
      'POST',
      'open',
      415,
      { path: '/x' },
      { 'content-type': 'text/plain' },
      'The body must be application/json.',
    ],
    [
      'POST',
      'open',
      400,
      { path: 'ws/' },
      {},
      '"path" must be a path starting with "/" of at most 2048 printable ASCII characters, not "ws/".',
    ],
    [
      'POST',
      'open',
      400,
      { path: '/a b' },
      {},
      '"path" must be a path starting with "/" of at most 2048 printable ASCII characters, not "/a b".',
    ],
    ['POST', 'open', 400, { path: '/%FF/' }, {}, 'Invalid UTF-8 in path'],
    [
      'POST',
      'open',
      400,
      { path: '/', subprotocols: ['a', 'a'] },
      {},
      '"subprotocols" must be an array of at most 16 distinct tokens, not ["a","a"].',
    ],
    ['POST', 'open', 400, [1], {}, 'The body must be a JSON object, not [1].'],
    [
      'POST',
      'open',
      413,
      { path: `/${'x'.repeat(3000)}` },
      {},
      'The body is larger than 1024 bytes.',
    ],
  ])(
    '%s %s answers %i to a bad request',
    async (method, endpoint, status, body, headers, error) => {
      const { lp } = await serveLongPoll(echoApp, { maxBodyBytes: 1024 })
      const reply = await lp.call(method, endpoint, { body, headers })
      expect(reply.status).toBe(status)
      expect(reply.body).toEqual({ error })
      if (status === 405)
        expect(reply.headers.get('allow')).toBe(endpoint === 'open' ? 'POST' : 'GET')
    },
  )

  it.each([
    [
      { seq: 0, frames: [{ type: 'text', data: 'x' }] },
      '"seq" must be a whole number from 1, not 0.',
    ],
    [{ seq: 1, frames: [] }, '"frames" must be an array of 1 to 1000 frames, not [].'],
    [
      { seq: 1, frames: [{ type: 'bytes', data: '***' }] },
      'frames[0] must be {"type":"text","data":string} or {"type":"bytes","data":base64}, not {"type":"bytes","data":"***"}.',
    ],
    [
      { seq: 1, frames: [{ type: 'text', data: 1 }] },
      'frames[0] must be {"type":"text","data":string} or {"type":"bytes","data":base64}, not {"type":"text","data":1}.',
    ],
  ])('refuses the send body %j with 400', async (body, error) => {
    const { lp } = await serveLongPoll(echoApp)
    const session = String((await lp.open('/echo/')).body?.session)
    expect(await lp.call('POST', 'send', { session, body })).toMatchObject({
      status: 400,
      body: { error },
    })
  })

  it('refuses a bad close code with 400', async () => {
    const { lp } = await serveLongPoll(echoApp)
    const session = String((await lp.open('/echo/')).body?.session)
    expect(await lp.close(session, { code: 1006 })).toMatchObject({
      status: 400,
      body: { error: '"code" must be 1000 or from 3000 to 4999, not 1006.' },
    })
  })

  it('answers 503 when the session channel is full', async () => {
    const { lp } = await serveLongPoll(echoApp, {}, new InMemoryChannelLayer({ capacity: 1 }))
    const unknown = 'B'.repeat(22)
    // Nobody reads this session's channel: the first request fills it (and times out)...
    expect((await lp.poll(unknown)).status).toBe(404)
    // ...the next finds it full.
    expect(await lp.poll(unknown)).toMatchObject({
      status: 503,
      body: { error: 'The session is not keeping up; try again later.' },
    })
  })

  it('refuses bad options', () => {
    expect(() => longPoll(echoApp, { pollTimeoutMs: 0 })).toThrow(
      new RangeError(
        'The pollTimeoutMs option must be a whole number of milliseconds from 1, not 0.',
      ),
    )
    expect(() => longPoll(echoApp, { pollTimeoutMs: 1000, sessionTimeoutMs: 1000 })).toThrow(
      new RangeError(
        'The sessionTimeoutMs option must be longer than pollTimeoutMs (1000), not 1000.',
      ),
    )
    expect(() => longPoll(echoApp, { prefix: 'lp' })).toThrow(
      new TypeError('The prefix option must start and end with "/", not "lp".'),
    )
    expect(() => longPoll('app' as unknown as Application)).toThrow(
      new TypeError('longPoll() needs a WebSocket application, not "app".'),
    )
  })
})

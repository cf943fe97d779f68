// Long polling under the server's safe defaults: a session is a WebSocket carried by HTTP
// requests, so it gets what a handshake and a socket get. The origin check on `open` (403),
// the connection caps (429/503), the message rate (1008) and size (1009) on `send`, bounded
// request bodies (413) and a bounded number of polls waiting per session (429).
import {
  type Application,
  InMemoryChannelLayer,
  type Message,
  WebsocketConsumer,
  type WebsocketFrame,
} from '@node-channels/core'
import { ProtocolTypeRouter, path, URLRouter } from '@node-channels/router'
import { type LongPollApplication, longPoll, type ServeOptions } from '@node-channels/server'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  EchoConsumer,
  GoodClient,
  rawExchange,
  startServer,
  type TestServer,
  waitFor,
} from './harness.js'

const SESSION = 'node-channels-session'

/** Every frame that reached a recording instance, in order, and their disconnect codes. */
const delivered: string[] = []
const disconnects: number[] = []
const disconnectWaiters = new Set<() => void>()
let instances = 0

/** The code of the `nth` (1-based) disconnect a recording instance saw, waiting up to 3 s. */
function nthDisconnect(nth: number): Promise<number> {
  return waitFor(() => disconnects[nth - 1], disconnectWaiters, 3000, `disconnect number ${nth}`)
}

/** Echoes, and records what reached it. */
class RecordingEcho extends WebsocketConsumer {
  override connect(): Promise<void> {
    instances++
    return this.accept()
  }

  override receive({ textData, bytesData }: WebsocketFrame): Promise<void> {
    delivered.push(textData ?? `<${bytesData?.byteLength ?? 0} bytes>`)
    return this.send({ textData, bytesData })
  }

  override disconnect(code: number): void {
    disconnects.push(code)
    for (const wake of disconnectWaiters) wake()
  }
}

const routes: Application = URLRouter([
  path('ws/echo/', EchoConsumer.asAsgi()),
  path('ws/recorded/', RecordingEcho.asAsgi()),
])

/** A layer that tells the test what was sent where: the requests and replies of the transport. */
class WatchedLayer extends InMemoryChannelLayer {
  readonly sent: Array<{ channel: string; type: string }> = []
  readonly #waiters = new Set<() => void>()

  override async send(channel: string, message: Message): Promise<void> {
    await super.send(channel, message)
    this.sent.push({ channel, type: message.type })
    for (const wake of this.#waiters) wake()
  }

  /** Resolves once `count` messages of `type` were sent (to `channel`, when given). */
  waitForSent(type: string, count: number, channel?: string): Promise<true> {
    const matching = () =>
      this.sent.filter((m) => m.type === type && (channel === undefined || m.channel === channel))
    return waitFor(
      () => (matching().length >= count ? true : undefined),
      this.#waiters,
      3000,
      `${count} ${type} messages`,
    )
  }
}

interface LongPollServer extends TestServer {
  transport: LongPollApplication
  layer: WatchedLayer
  /** `http://127.0.0.1:<port>`: the server's own origin. */
  url: string
}

/** A server with WebSockets on /ws/ and the same routes over long polling on /lp/. */
async function startLongPollServer(
  options: ServeOptions = {},
  transportOptions: Parameters<typeof longPoll>[1] = {},
): Promise<LongPollServer> {
  const layer = new WatchedLayer()
  const transport = longPoll(routes, { layer, pollTimeoutMs: 1000, ...transportOptions })
  const server = await startServer(
    ProtocolTypeRouter({ websocket: routes, http: URLRouter([path('lp/', transport)]) }),
    options,
  )
  const started = { ...server, transport, layer, url: server.handle.url }
  // Closed after all tests: closing a server also closes the default channel layer.
  servers.push(started)
  return started
}

const servers: LongPollServer[] = []

interface Reply {
  status: number
  body: Record<string, unknown> | null
}

/** Calls one endpoint the way the browser client does (fetch, JSON), with `origin` if given. */
async function call(
  base: string,
  method: 'GET' | 'POST',
  endpoint: string,
  options: { origin?: string; session?: string; body?: unknown } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {}
  if (options.origin !== undefined) headers.origin = options.origin
  if (options.session !== undefined) headers[SESSION] = options.session
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(`${base}/lp/${endpoint}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(10_000),
  })
  const text = await response.text()
  return {
    status: response.status,
    body: text === '' ? null : (JSON.parse(text) as Record<string, unknown>),
  }
}

/** An `open` of `path` from `origin` (the server's own by default; `null` sends none). */
function open(
  server: LongPollServer,
  path: string,
  origin: string | null = server.url,
): Promise<Reply> {
  return call(server.url, 'POST', 'open', { origin: origin ?? undefined, body: { path } })
}

/** Opens a session on `path` from `origin` (the server's own by default); returns its id. */
async function openSession(
  server: LongPollServer,
  path = '/ws/recorded/',
  origin = server.url,
): Promise<string> {
  const opened = await open(server, path, origin)
  expect(opened.status).toBe(200)
  return String(opened.body?.session)
}

/** A `send` of `frames` numbered from `seq`, from the server's own origin. */
function sendFrames(
  server: LongPollServer,
  session: string,
  seq: number,
  frames: unknown[],
): Promise<Reply> {
  return call(server.url, 'POST', 'send', { origin: server.url, session, body: { seq, frames } })
}

/** A `poll` acknowledging nothing, from the server's own origin. */
function poll(server: LongPollServer, session: string): Promise<Reply> {
  return call(server.url, 'GET', 'poll', { origin: server.url, session })
}

/** A `close` with 1000. */
function closeSession(server: LongPollServer, session: string): Promise<Reply> {
  return call(server.url, 'POST', 'close', { session, body: {} })
}

const text = (data: string) => ({ type: 'text', data })
const escapeRegExp = (literal: string) => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

let server: LongPollServer
let good: GoodClient

beforeAll(async () => {
  server = await startLongPollServer()
  good = await GoodClient.open(server.port)
})

afterEach(async () => {
  // Whatever the attack, WebSockets and a well-behaved long-poll session keep being served.
  await good.assertEchoes()
  const session = await openSession(server, '/ws/echo/')
  const sent = await sendFrames(server, session, 1, [text('still here')])
  expect(sent.status).toBe(204)
  const polled = await poll(server, session)
  expect(polled.body).toEqual({ events: [{ seq: 1, type: 'text', data: 'still here' }] })
  expect((await closeSession(server, session)).status).toBe(204)
})

afterAll(async () => {
  await good.close()
  await Promise.all(servers.map(({ handle }) => handle.close()))
})

describe('the origin check on open', () => {
  it.each([
    'https://evil.example',
    'http://127.0.0.1:1',
    'http://127.0.0.1.evil.example',
    'null',
    '127.0.0.1',
  ])('refuses Origin %s with 403 before the application runs', async (origin) => {
    const before = instances
    const opened = await open(server, '/ws/recorded/', origin)
    const host = server.url.slice('http://'.length)
    const problem = `origin ${JSON.stringify(origin)} is neither the server's own (Host ${JSON.stringify(host)}) nor allowed`
    expect(opened).toEqual({
      status: 403,
      body: { error: `Refused by the origin check: ${problem}.` },
    })
    expect(instances).toBe(before)
    expect(server.transport.sessions).toBe(0)
    const line = await server.logger.waitFor(
      new RegExp(`Refused the long-poll session .*${escapeRegExp(JSON.stringify(origin))}`),
    )
    expect(line).toMatch(/^warn: Refused the long-poll session from 127\.0\.0\.1:\d+: origin /)
    expect(line.endsWith(`${problem}; answered 403.`)).toBe(true)
  })

  it('refuses two Origin headers, even when one is the server’s own', async () => {
    const body = JSON.stringify({ path: '/ws/recorded/' })
    const answer = await rawExchange(
      server.port,
      [
        'POST /lp/open HTTP/1.1',
        `Host: 127.0.0.1:${server.port}`,
        `Origin: ${server.url}`,
        'Origin: https://evil.example',
        'Content-Type: application/json',
        `Content-Length: ${body.length}`,
        'Connection: close',
        '',
        body,
      ].join('\r\n'),
    )
    expect(answer.status).toBe(403)
    expect(answer.text).toContain(
      '{"error":"Refused by the origin check: more than one Origin header."}',
    )
  })

  it('lets a request without Origin open a session (not a browser), unless requireOrigin', async () => {
    expect((await open(server, '/ws/echo/', null)).status).toBe(200)
    const strict = await startLongPollServer({ requireOrigin: true })
    expect(await open(strict, '/ws/echo/', null)).toEqual({
      status: 403,
      body: { error: 'Refused by the origin check: no Origin header.' },
    })
    expect(strict.transport.sessions).toBe(0)
  })

  it('lets the origins allowedOrigins matches through, and only those', async () => {
    const partner = await startLongPollServer({ allowedOrigins: ['.example.com'] })
    const session = await openSession(partner, '/ws/echo/', 'https://chat.example.com')
    expect(session).toMatch(/^[A-Za-z0-9_-]{22}$/)
    const refused = await open(partner, '/ws/echo/', 'https://example.com.evil.test')
    expect(refused.status).toBe(403)
  })
})

describe('the connection caps', () => {
  it('answers 429 past maxConnectionsPerClient sessions, and gives the place back on close', async () => {
    const capped = await startLongPollServer({ maxConnectionsPerClient: 2 })
    const first = await openSession(capped)
    await openSession(capped)
    const before = instances
    expect(await open(capped, '/ws/recorded/')).toEqual({
      status: 429,
      body: { error: 'This address holds as many connections as it may; close one first.' },
    })
    expect(instances).toBe(before)
    expect(await capped.logger.waitFor(/answered 429\.$/)).toMatch(
      /^warn: Refused the long-poll session for \/ws\/recorded\/ from 127\.0\.0\.1:\d+: "127\.0\.0\.1" has 2 WebSockets open \(maxConnectionsPerClient\); answered 429\.$/,
    )
    expect((await closeSession(capped, first)).status).toBe(204)
    await openSession(capped)
  })

  it('answers 503 past maxConnections sessions in all', async () => {
    const capped = await startLongPollServer({ maxConnections: 1 })
    await openSession(capped)
    expect(await open(capped, '/ws/echo/')).toEqual({
      status: 503,
      body: { error: 'The server holds as many connections as it may; try again later.' },
    })
    expect(await capped.logger.waitFor(/answered 503\.$/)).toMatch(
      /: 1 WebSockets are open \(maxConnections\); answered 503\.$/,
    )
  })

  it('gives the place back when a session expires', async () => {
    const capped = await startLongPollServer(
      { maxConnectionsPerClient: 1 },
      { pollTimeoutMs: 100, sessionTimeoutMs: 200 },
    )
    const before = disconnects.length
    await openSession(capped)
    // Nobody polls: the session expires after 200 ms, the application sees 1006...
    expect(await nthDisconnect(before + 1)).toBe(1006)
    // ...and the place is free again.
    await openSession(capped, '/ws/echo/')
  })
})

describe('the message limits on send', () => {
  it('closes a session sending faster than websocketRateLimit with 1008; the rest never arrive', async () => {
    const limited = await startLongPollServer({
      websocketRateLimit: { messagesPerSecond: 1, burst: 5 },
    })
    const session = await openSession(limited)
    const start = delivered.length
    const disconnectsBefore = disconnects.length
    // Counted across requests: 3, then 3 more, of which the third is over the burst...
    expect((await sendFrames(limited, session, 1, [text('a'), text('b'), text('c')])).status).toBe(
      204,
    )
    expect((await sendFrames(limited, session, 4, [text('d'), text('e'), text('f')])).status).toBe(
      204,
    )
    // ...and everything after the close is dropped.
    const flood = Array.from({ length: 100 }, (_, i) => text(`flood ${i}`))
    expect((await sendFrames(limited, session, 7, flood)).status).toBe(204)
    expect(await nthDisconnect(disconnectsBefore + 1)).toBe(1008)
    expect(delivered.slice(start)).toEqual(['a', 'b', 'c', 'd', 'e'])
    const polled = await poll(limited, session)
    // The echoes sent before the close come first (after it the server sends nothing, as on
    // a WebSocket), then the close event.
    const events = polled.body?.events as Array<Record<string, unknown>>
    const echoes = events.slice(0, -1).map(({ data }) => data)
    expect(echoes).toEqual(['a', 'b', 'c', 'd', 'e'].slice(0, echoes.length))
    expect(events.at(-1)).toEqual({
      seq: echoes.length + 1,
      type: 'close',
      code: 1008,
      reason: 'Message rate limit exceeded',
    })
    expect(await limited.logger.waitFor(/websocketRateLimit/)).toMatch(
      /^warn: long-poll \/ws\/recorded\/ from 127\.0\.0\.1:\d+: sent messages faster than websocketRateLimit allows; closing with 1008\.$/,
    )
  })

  it('closes a session sending a frame over websocketMaxMessageSize with 1009', async () => {
    const limited = await startLongPollServer({ websocketMaxMessageSize: 1024 })
    const session = await openSession(limited)
    const start = delivered.length
    const disconnectsBefore = disconnects.length
    const atLimit = 'é'.repeat(512) // 1024 UTF-8 bytes
    expect((await sendFrames(limited, session, 1, [text(atLimit)])).status).toBe(204)
    const overLimit = Buffer.alloc(1025).toString('base64')
    expect(
      (await sendFrames(limited, session, 2, [{ type: 'bytes', data: overLimit }, text('after')]))
        .status,
    ).toBe(204)
    expect(await nthDisconnect(disconnectsBefore + 1)).toBe(1009)
    expect(delivered.slice(start)).toEqual([atLimit])
    const polled = await poll(limited, session)
    expect(polled.body?.events).toEqual([
      { seq: 1, type: 'text', data: atLimit },
      { seq: 2, type: 'close', code: 1009, reason: 'Message too big' },
    ])
  })
})

describe('request bodies', () => {
  it('answers 413 to a body over maxBodyBytes, and the session carries on', async () => {
    const small = await startLongPollServer({}, { maxBodyBytes: 4096 })
    const session = await openSession(small, '/ws/echo/')
    const sent = await sendFrames(small, session, 1, [text('x'.repeat(5000))])
    expect(sent).toEqual({ status: 413, body: { error: 'The body is larger than 4096 bytes.' } })
    const retried = await sendFrames(small, session, 1, [text('small')])
    expect(retried.status).toBe(204)
  })

  it('answers 413 from the declared Content-Length, before the body is sent', async () => {
    const answer = await rawExchange(
      server.port,
      [
        'POST /lp/open HTTP/1.1',
        `Host: 127.0.0.1:${server.port}`,
        'Content-Type: application/json',
        'Content-Length: 100000000',
        'Connection: close',
        '',
        '',
      ].join('\r\n'),
    )
    expect(answer.status).toBe(413)
    expect(answer.text).toContain('{"error":"The body is larger than 2097152 bytes."}')
  })
})

describe('polls waiting for one session', () => {
  it('holds one poll per session: a newer poll answers the older one at once', async () => {
    const session = await openSession(server, '/ws/echo/')
    const waits = server.layer.sent.filter((m) => m.type === 'long_poll.wait').length
    const startedAt = Date.now()
    const older = poll(server, session)
    await server.layer.waitForSent('long_poll.wait', waits + 1)
    const newer = poll(server, session)
    expect((await older).status).toBe(204)
    expect(Date.now() - startedAt).toBeLessThan(900) // not after pollTimeoutMs (1000)
    // The newer one is held in turn, until the session ends.
    await server.layer.waitForSent('long_poll.wait', waits + 2)
    await closeSession(server, session)
    expect((await newer).status).toBe(204)
  })

  it('answers 429 past 4 polls waiting for one session in a process', async () => {
    const target = await startLongPollServer({}, { replyTimeoutMs: 1000 })
    // No process answers for this id: each poll waits replyTimeoutMs for the session.
    const session = 'Q'.repeat(22)
    const channel = `long-poll.${session}`
    const pollUnknown = () => call(target.url, 'GET', 'poll', { session })
    const waiting = Array.from({ length: 4 }, pollUnknown)
    await target.layer.waitForSent('long_poll.poll', 4, channel)
    expect(await pollUnknown()).toEqual({
      status: 429,
      body: {
        error: '4 polls of this session are waiting already; poll again once one is answered.',
      },
    })
    // The fifth never reached the layer; other sessions are not affected.
    expect(target.layer.sent.filter((m) => m.channel === channel)).toHaveLength(4)
    const other = await openSession(target, '/ws/echo/')
    const sent = await sendFrames(target, other, 1, [text('other')])
    expect(sent.status).toBe(204)
    // Once they are answered (404: no such session), the places come back.
    for (const reply of await Promise.all(waiting)) expect(reply.status).toBe(404)
    expect((await pollUnknown()).status).toBe(404)
  })
})

// The router behind a real server: what no router or server test alone can show. Unmatched
// paths answer 404 (WebSocket and HTTP), a plain Node request listener serves HTTP next to
// the consumers on one port, and middleware wrapping nested routers still routes.
import { type IncomingMessage, request, type ServerResponse } from 'node:http'
import {
  type Application,
  AuthMiddlewareStack,
  type AuthMiddlewareStackOptions,
  getSession,
  OriginValidator,
  WebsocketConsumer,
  type WebsocketFrame,
} from '@node-channels/core'
import {
  fromRequestListener,
  markPathRouting,
  ProtocolTypeRouter,
  path,
  rePath,
  URLRouter,
} from '@node-channels/router'
import { type ServerHandle, serve } from '@node-channels/server'
import { describe, expect, it, onTestFinished } from 'vitest'
import { WebSocket } from 'ws'

/** Answers every frame with what it knows of its scope. */
class ScopeReporter extends WebsocketConsumer {
  override receive(_frame: WebsocketFrame): Promise<void> {
    const scope = this.scope as Record<string, unknown>
    const user = scope.user as { id: unknown } | undefined
    return this.send({
      textData: JSON.stringify({
        url_route: this.scope.url_route,
        path_remaining: this.scope.path_remaining,
        user: user === undefined ? 'no user key' : user.id,
        session: 'session' in scope ? getSession(scope).isEmpty : 'no session key',
      }),
    })
  }
}

const authOptions: AuthMiddlewareStackOptions = {
  secret: 'routing-test-secret-that-is-long-enough-0123',
  loadUser: async () => null,
}

async function start(application: Application): Promise<ServerHandle> {
  const quiet = { debug() {}, warn() {}, error() {} }
  const handle = await serve(application, { host: '127.0.0.1', port: 0, logger: quiet })
  onTestFinished(() => handle.close())
  return handle
}

/** A plain HTTP request; resolves with the status, content type and body. */
function httpRequest(
  handle: ServerHandle,
  method: string,
  target: string,
  body = '',
): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: handle.address.port, method, path: target },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            type: res.headers['content-type'],
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        )
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

/** Opens a WebSocket; resolves with the HTTP status of a refusal, or the open socket. */
function openSocket(handle: ServerHandle, target: string): Promise<WebSocket | number> {
  const ws = new WebSocket(`${handle.url.replace('http', 'ws')}${target}`)
  onTestFinished(() => ws.terminate())
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (_req, res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    ws.once('error', reject)
  })
}

/** Sends one frame and parses the JSON answer. */
async function ask(ws: WebSocket): Promise<Record<string, unknown>> {
  const answer = new Promise<string>((resolve) =>
    ws.once('message', (data: Buffer) => resolve(data.toString('utf8'))),
  )
  ws.send('?')
  return JSON.parse(await answer) as Record<string, unknown>
}

describe('URLRouter behind the server: no match', () => {
  const application = ProtocolTypeRouter({
    websocket: URLRouter([
      path('ws/chat/:room/', ScopeReporter.asAsgi()),
      path('ws/api/', URLRouter([path('feed/', ScopeReporter.asAsgi())])),
    ]),
  })

  it('answers 404 to a WebSocket path no route matches, at any depth', async () => {
    const handle = await start(application)
    expect(await openSocket(handle, '/ws/nowhere/')).toBe(404)
    expect(await openSocket(handle, '/ws/chat/')).toBe(404)
    expect(await openSocket(handle, '/ws/chat/lobby/extra/')).toBe(404)
    expect(await openSocket(handle, '/ws/api/other/')).toBe(404)
    expect(await openSocket(handle, '/ws/api/feed/')).toBeInstanceOf(WebSocket)
  })

  it("answers HTTP with the default handler's 404 when there is no http entry", async () => {
    const handle = await start(application)
    expect(await httpRequest(handle, 'GET', '/ws/chat/lobby/')).toEqual({
      status: 404,
      type: 'text/plain; charset=utf-8',
      body: 'Not Found\n',
    })
    expect((await httpRequest(handle, 'POST', '/anything', 'x'.repeat(100_000))).status).toBe(404)
  })

  it('answers 404 to an HTTP path an http URLRouter does not match', async () => {
    const handle = await start(
      ProtocolTypeRouter({
        http: URLRouter([
          path(
            'health/',
            fromRequestListener((_req, res) => res.end('ok')),
          ),
        ]),
      }),
    )
    expect(await httpRequest(handle, 'GET', '/health/')).toMatchObject({ status: 200, body: 'ok' })
    expect((await httpRequest(handle, 'GET', '/missing/')).status).toBe(404)
  })
})

describe('fromRequestListener next to consumers on one port', () => {
  it('serves a plain Node request listener for HTTP and consumers for WebSockets', async () => {
    const listener = (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'application/json' })
        res.end(
          JSON.stringify({
            method: req.method,
            url: req.url,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        )
      })
    }
    const handle = await start(
      ProtocolTypeRouter({
        http: fromRequestListener(listener),
        websocket: URLRouter([path('ws/chat/:room/', ScopeReporter.asAsgi())]),
      }),
    )
    expect(await httpRequest(handle, 'POST', '/api/messages?x=1', 'hello')).toEqual({
      status: 201,
      type: 'application/json',
      body: JSON.stringify({ method: 'POST', url: '/api/messages?x=1', body: 'hello' }),
    })
    const ws = await openSocket(handle, '/ws/chat/lobby/')
    if (typeof ws === 'number') throw new Error(`The handshake was refused with ${ws}.`)
    expect((await ask(ws)).url_route).toEqual({ args: [], kwargs: { room: 'lobby' } })
    // The listener still answers while the socket is open.
    expect((await httpRequest(handle, 'GET', '/again')).status).toBe(201)
  })
})

describe('middleware wrapping nested routers', () => {
  it('routes through OriginValidator(AuthMiddlewareStack(URLRouter([... nested URLRouter ...])))', async () => {
    const handle = await start(
      ProtocolTypeRouter({
        websocket: OriginValidator(
          AuthMiddlewareStack(
            URLRouter([
              path(
                'ws/:tenant/',
                URLRouter([
                  path('rooms/:room/', ScopeReporter.asAsgi()),
                  rePath(/^games\/(?<game>\d+)\/$/, ScopeReporter.asAsgi()),
                ]),
              ),
            ]),
            authOptions,
          ),
          ['*'],
        ),
      }),
    )
    const ws = await openSocket(handle, '/ws/acme/rooms/lobby/')
    if (typeof ws === 'number') throw new Error(`The handshake was refused with ${ws}.`)
    expect(await ask(ws)).toEqual({
      url_route: { args: [], kwargs: { tenant: 'acme', room: 'lobby' } },
      path_remaining: '',
      user: null,
      session: true,
    })
    const game = await openSocket(handle, '/ws/acme/games/42/')
    if (typeof game === 'number') throw new Error(`The handshake was refused with ${game}.`)
    expect((await ask(game)).url_route).toEqual({
      args: [],
      kwargs: { tenant: 'acme', game: '42' },
    })
    expect(await openSocket(handle, '/ws/acme/games/x/')).toBe(404)
  })

  it('routes into a nested router wrapped in middleware inside an outer router', async () => {
    const inner = URLRouter([path('rooms/:room/', ScopeReporter.asAsgi())])
    const handle = await start(
      ProtocolTypeRouter({
        websocket: URLRouter([
          path('ws/private/', OriginValidator(AuthMiddlewareStack(inner, authOptions), ['*'])),
          path('ws/custom/', markPathRouting(noteMiddleware(inner))),
          path('ws/public/', inner),
        ]),
      }),
    )
    const secured = await openSocket(handle, '/ws/private/rooms/a/')
    if (typeof secured === 'number') throw new Error(`The handshake was refused with ${secured}.`)
    expect(await ask(secured)).toMatchObject({
      url_route: { args: [], kwargs: { room: 'a' } },
      user: null,
      session: true,
    })
    const custom = await openSocket(handle, '/ws/custom/rooms/b/')
    if (typeof custom === 'number') throw new Error(`The handshake was refused with ${custom}.`)
    expect(await ask(custom)).toMatchObject({ url_route: { kwargs: { room: 'b' } } })
    const open = await openSocket(handle, '/ws/public/rooms/c/')
    if (typeof open === 'number') throw new Error(`The handshake was refused with ${open}.`)
    expect(await ask(open)).toMatchObject({
      url_route: { kwargs: { room: 'c' } },
      user: 'no user key',
      session: 'no session key',
    })
    expect(await openSocket(handle, '/ws/private/nowhere/')).toBe(404)
  })
})

/** A hand-written middleware (no kPathRouting of its own): markPathRouting() marks it. */
function noteMiddleware(inner: Application): Application {
  return (scope, receive, send) => inner({ ...scope, note: 'seen' }, receive, send)
}

// Forged and expired session cookies over a real server: each gives the WebSocket a fresh,
// anonymous session (never an error, never someone else's session).
import { get } from 'node:http'
import {
  type Application,
  AsyncHttpConsumer,
  AuthMiddlewareStack,
  type AuthMiddlewareStackOptions,
  type AuthUser,
  getSession,
  InMemorySessionStore,
  login,
  WebsocketConsumer,
} from '@node-channels/core'
import { ProtocolTypeRouter, path, URLRouter } from '@node-channels/router'
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { WebSocket } from 'ws'
import { EchoConsumer, startServer, type TestServer } from './harness.js'
import { underAttack } from './under-attack.js'

const SECRET = 'a-test-secret-that-is-long-enough-0123456789'
const OTHER_SECRET = 'another-deployment-secret-also-long-enough-42'
const MAX_AGE_MS = 60_000
const users = new Map<string, AuthUser>([['alice', { id: 'alice' }]])

/** Logs alice in; the session middleware sets the signed cookie on the response. */
class LoginConsumer extends AsyncHttpConsumer {
  override async handle(): Promise<void> {
    await login(this.scope, users.get('alice'))
    await this.sendResponse(200, 'logged in', {
      headers: [['content-type', 'text/plain']],
    })
  }
}

/** Tells the client who it is and which session it got. */
class WhoAmIConsumer extends WebsocketConsumer {
  override async connect(): Promise<void> {
    await this.accept()
    const user = this.scope.user as { id: string | null }
    const session = getSession(this.scope)
    await this.send({
      textData: JSON.stringify({ user: user.id, sessionKey: session.sessionKey }),
    })
  }
}

let clockMs = Date.now()
const store = new InMemorySessionStore()

function application(secret: string): Application {
  const options: AuthMiddlewareStackOptions = {
    secret,
    store,
    maxAgeMs: MAX_AGE_MS,
    now: () => clockMs,
    loadUser: async (id) => users.get(String(id)) ?? null,
  }
  return ProtocolTypeRouter({
    http: AuthMiddlewareStack(URLRouter([path('login/', LoginConsumer.asAsgi())]), options),
    websocket: AuthMiddlewareStack(
      URLRouter([
        path('ws/echo/', EchoConsumer.asAsgi()),
        path('ws/whoami/', WhoAmIConsumer.asAsgi()),
      ]),
      options,
    ),
  })
}

let elsewhere: TestServer
const { server, alsoClose } = underAttack(() => startServer(application(SECRET)))

beforeAll(async () => {
  elsewhere = alsoClose(await startServer(application(OTHER_SECRET)))
})

/** Logs in over HTTP and returns the `sessionid=...` cookie the server set. */
function loginCookie(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/login/' }, (res) => {
      res.resume()
      const cookie = (res.headers['set-cookie'] ?? [])[0]?.split(';')[0]
      if (res.statusCode === 200 && cookie !== undefined) resolve(cookie)
      else reject(new Error(`Login answered ${res.statusCode} without a cookie.`))
    }).on('error', reject)
  })
}

/** Opens /ws/whoami/ with `cookie` and returns what the consumer saw. */
async function whoAmI(cookie: string): Promise<{ user: string | null; sessionKey: string | null }> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws/whoami/`, {
    headers: { cookie },
    origin: `http://127.0.0.1:${server.port}`,
  })
  onTestFinished(() => ws.terminate())
  const text = await new Promise<string>((resolve, reject) => {
    ws.once('message', (data: Buffer) => resolve(data.toString('utf8')))
    ws.once('error', reject)
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`The handshake was answered ${res.statusCode}.`)),
    )
  })
  ws.close()
  return JSON.parse(text) as { user: string | null; sessionKey: string | null }
}

const anonymous = { user: null, sessionKey: null }

describe('session cookies over a real server', () => {
  it('recognises a genuine cookie (the control case)', async () => {
    const seen = await whoAmI(await loginCookie(server.port))
    expect(seen.user).toBe('alice')
    expect(seen.sessionKey).toMatch(/^[a-z0-9]{32}$/)
  })

  it('gives a forged signature a fresh anonymous session', async () => {
    const cookie = await loginCookie(server.port)
    // One character in the middle of the base64url HMAC changed.
    const changed = cookie.at(-10) === 'A' ? 'B' : 'A'
    expect(await whoAmI(`${cookie.slice(0, -10)}${changed}${cookie.slice(-9)}`)).toEqual(anonymous)
  })

  it("gives another session's key under a copied signature a fresh anonymous session", async () => {
    const [, value = ''] = (await loginCookie(server.port)).split('=')
    const [, expiry, signature] = value.split('.')
    const forged = `sessionid=${'a'.repeat(32)}.${expiry}.${signature}`
    expect(await whoAmI(forged)).toEqual(anonymous)
  })

  it('gives a cookie signed by another deployment’s secret a fresh anonymous session', async () => {
    expect(await whoAmI(await loginCookie(elsewhere.port))).toEqual(anonymous)
  })

  it('gives an expired cookie a fresh anonymous session', async () => {
    const cookie = await loginCookie(server.port)
    const loggedInAt = clockMs
    clockMs += MAX_AGE_MS + 1
    try {
      expect(await whoAmI(cookie)).toEqual(anonymous)
    } finally {
      clockMs = loggedInAt
    }
    expect((await whoAmI(cookie)).user).toBe('alice')
  })

  it('gives the cookie of a session deleted meanwhile (a logout elsewhere) a fresh one', async () => {
    const cookie = await loginCookie(server.port)
    const { sessionKey } = await whoAmI(cookie)
    await store.delete(sessionKey ?? '')
    expect(await whoAmI(cookie)).toEqual(anonymous)
  })

  it.each([
    ['garbage', 'sessionid=%%%;;;=='],
    ['an empty value', 'sessionid='],
    ['a 4 KiB value', `sessionid=${'A'.repeat(4096)}`],
    ['prototype keys as cookie names', '__proto__=x; constructor=y; sessionid=z'],
    ['a hundred cookies', Array.from({ length: 100 }, (_, i) => `c${i}=v`).join('; ')],
  ])('gives %s a fresh anonymous session', async (_what, cookie) => {
    expect(await whoAmI(cookie)).toEqual(anonymous)
    expect(({} as Record<string, unknown>).x).toBeUndefined()
  })
})

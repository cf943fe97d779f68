import { describe, expect, it } from 'vitest'
import type { Application, Message, Scope } from '../types.js'
import { kPathRouting } from '../types.js'
import { AnonymousUser, type AuthUser, login, logout } from './auth.js'
import { AuthMiddleware, AuthMiddlewareStack } from './auth-middleware.js'
import { httpRequest, run, websocketScope } from './harness.test-util.js'
import { Session } from './session.js'
import { InMemorySessionStore } from './session-store.js'

const SECRET = 'auth-secret-auth-secret-auth-secret-0'
const alice: AuthUser & { name: string } = {
  id: 7,
  name: 'alice',
  getSessionAuthHash: () => 'pw-v1',
}
const loadUser = async (id: string | number) => (id === 7 ? alice : null)

/** An HTTP application that runs `action` on its scope, then answers 200 with the user's name. */
function httpApp(
  action: (scope: Record<string, unknown>) => Promise<void> | void = () => {},
): Application {
  return async (scope, receive, send) => {
    await receive()
    await action(scope)
    await send({ type: 'http.response.start', status: 200 })
    const user = scope.user as { name?: string }
    await send({
      type: 'http.response.body',
      body: new TextEncoder().encode(user.name ?? 'anonymous'),
    })
  }
}

const cookieOf = (start: Message) =>
  ((start.headers as Array<[string, string]>) ?? []).map(
    ([, value]) => value.split(';')[0] ?? '',
  )[0] ?? ''
const text = (message: Message) => new TextDecoder().decode(message.body as Uint8Array)

describe('AuthMiddlewareStack', () => {
  it('resolves scope.user before the application runs: anonymous without a session', async () => {
    let seen: unknown
    const app = AuthMiddlewareStack(
      httpApp((scope) => {
        seen = scope.user
      }),
      { secret: SECRET, loadUser },
    )
    const { body } = await httpRequest(app)
    expect(seen).toBeInstanceOf(AnonymousUser)
    expect(text(body)).toBe('anonymous')
  })

  it('logs in over HTTP, recognises the user on the next request, and logs out', async () => {
    const store = new InMemorySessionStore()
    const options = { secret: SECRET, loadUser, store }
    const loginResponse = await httpRequest(
      AuthMiddlewareStack(
        httpApp((scope) => login(scope, alice)),
        options,
      ),
    )
    expect(text(loginResponse.body)).toBe('alice')
    const cookie = cookieOf(loginResponse.start)
    expect(cookie).toMatch(/^sessionid=[a-z0-9]{32}\./)

    const again = await httpRequest(AuthMiddlewareStack(httpApp(), options), {
      headers: [['cookie', cookie]],
    })
    expect(text(again.body)).toBe('alice')

    const logoutResponse = await httpRequest(AuthMiddlewareStack(httpApp(logout), options), {
      headers: [['cookie', cookie]],
    })
    expect(text(logoutResponse.body)).toBe('anonymous')
    expect(cookieOf(logoutResponse.start)).toBe('sessionid=""')
    const after = await httpRequest(AuthMiddlewareStack(httpApp(), options), {
      headers: [['cookie', cookie]],
    })
    expect(text(after.body)).toBe('anonymous')
  })

  it('on a WebSocket, login is kept only after an explicit session.save()', async () => {
    const store = new InMemorySessionStore()
    const app = AuthMiddlewareStack(
      async (scope, receive, send) => {
        await receive()
        await login(scope, alice)
        await (scope.session as Session).save()
        await send({ type: 'websocket.accept' })
        await receive()
      },
      { secret: SECRET, loadUser, store },
    )
    const running = run(app, websocketScope())
    running.input({ type: 'websocket.connect' })
    expect(await running.output()).toEqual({ type: 'websocket.accept' })
    running.input({ type: 'websocket.disconnect', code: 1000 })
    await running.done
    expect(store.size).toBe(1)
  })

  it('carries the path-routing marker of a wrapped URLRouter', () => {
    const router: Application = Object.assign(async () => {}, { [kPathRouting]: true })
    expect(kPathRouting in AuthMiddlewareStack(router, { secret: SECRET, loadUser })).toBe(true)
  })
})

describe('AuthMiddleware', () => {
  it("throws Django's error without SessionMiddleware above it", async () => {
    const app = AuthMiddleware(httpApp(), { loadUser })
    await expect(httpRequest(app)).rejects.toThrow(
      new TypeError(
        'AuthMiddleware cannot find session in scope. SessionMiddleware must be above it.',
      ),
    )
  })

  it('copies the scope: the caller never sees user', async () => {
    const session = new Session(new InMemorySessionStore(), { maxAgeMs: 60_000 })
    const scope = {
      type: 'http',
      path: '/',
      query_string: '',
      headers: [],
      method: 'GET',
      session,
    } as Scope
    let seen: unknown
    const running = run(
      AuthMiddleware(
        httpApp((inner) => {
          seen = inner
        }),
        { loadUser },
      ),
      scope,
    )
    running.input({ type: 'http.request', body: new Uint8Array() })
    await running.output()
    await running.done
    expect(seen).not.toBe(scope)
    expect((seen as Scope).user).toBeInstanceOf(AnonymousUser)
    expect('user' in scope).toBe(false)
  })

  it('refuses a missing loadUser', () => {
    expect(() => AuthMiddleware(httpApp(), {} as { loadUser: typeof loadUser })).toThrow(
      new TypeError('AuthMiddleware needs a loadUser(id) function; got undefined.'),
    )
  })
})

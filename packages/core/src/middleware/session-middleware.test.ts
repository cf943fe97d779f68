import { describe, expect, it } from 'vitest'
import type { Scope } from '../types.js'
import { httpRequest, httpScope, run, websocketScope } from './harness.test-util.js'
import { Session } from './session.js'
import {
  bodyText,
  cookieValue,
  NOW,
  SECRET,
  setCookies,
  simpleHttpApp,
  stack,
} from './session-harness.test-util.js'
import {
  SessionMiddleware,
  type SessionMiddlewareOptions,
  SessionMiddlewareStack,
} from './session-middleware.js'
import { InMemorySessionStore } from './session-store.js'
import { signExpiring } from './signing.js'

describe('SessionMiddlewareStack over HTTP', () => {
  it('sets one session cookie with expires, HttpOnly, Max-Age, Path and SameSite=Lax (test_sessions)', async () => {
    const { app } = stack(simpleHttpApp((session) => session.set('a', 1)))
    const { start } = await httpRequest(app)
    expect(start.headers).toHaveLength(1)
    const [cookie] = setCookies(start)
    expect(cookie).toBe(
      `sessionid=${cookieValue(cookie)}; expires=Thu, 15 Jan 2026 00:00:00 GMT; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax`,
    )
  })

  it.each(['Strict', 'None'])(
    'writes the configured SameSite=%s (test_session_samesite)',
    async (sameSite) => {
      const { app } = stack(
        simpleHttpApp((session) => session.set('a', 1)),
        { cookieSameSite: sameSite },
      )
      const [cookie] = setCookies((await httpRequest(app)).start)
      expect(/SameSite=(\w+)/.exec(cookie ?? '')?.[1]).toBe(sameSite)
    },
  )

  it('refuses an invalid SameSite when the stack is built (test_session_samesite_invalid)', () => {
    expect(() => stack(simpleHttpApp(), { cookieSameSite: 'Hello' })).toThrow(
      new TypeError('Invalid sameSite "Hello": it must be "strict", "lax" or "none" (any case).'),
    )
  })

  it('signs the session key into the cookie, and the next request finds the session (test_session_saves)', async () => {
    const { app, store } = stack(simpleHttpApp((session) => session.set('fav_color', 'blue')))
    const first = await httpRequest(app)
    const key = bodyText(first.body)
    const signed = cookieValue(setCookies(first.start)[0])
    expect(signed.startsWith(`${key}.`)).toBe(true)
    expect(await store.load(key)).toBe('{"fav_color":"blue"}')

    let seen: unknown
    const { app: reader } = stack(
      simpleHttpApp((session) => {
        seen = session.get('fav_color')
      }),
      { store },
    )
    const second = await httpRequest(reader, { headers: [['cookie', `sessionid=${signed}`]] })
    expect(seen).toBe('blue')
    expect(bodyText(second.body)).toBe(key)
    // Not modified: no cookie is sent again.
    expect(setCookies(second.start)).toEqual([])
  })

  it('keeps concurrent connections apart, answered out of order (test_multiple_sessions)', async () => {
    const { app } = stack(async (scope, receive, send) => {
      await receive()
      const path = String(scope.path)
      ;(scope.session as Session).set('path', path)
      await send({ type: 'http.response.start', status: 200 })
      await send({ type: 'http.response.body', body: new TextEncoder().encode(path) })
    })
    const first = run(app, httpScope({ path: '/first/' }))
    const second = run(app, httpScope({ path: '/second/' }))
    second.input({ type: 'http.request', body: new Uint8Array() })
    const secondStart = await second.output()
    expect(bodyText(await second.output())).toBe('/second/')
    first.input({ type: 'http.request', body: new Uint8Array() })
    const firstStart = await first.output()
    expect(bodyText(await first.output())).toBe('/first/')
    expect(cookieValue(setCookies(firstStart)[0])).not.toBe(cookieValue(setCookies(secondStart)[0]))
    await Promise.all([first.done, second.done])
  })

  it('does not save or set a cookie when the response status is 500', async () => {
    const { app, store } = stack(async (scope, receive, send) => {
      await receive()
      ;(scope.session as Session).set('a', 1)
      await send({ type: 'http.response.start', status: 500 })
      await send({ type: 'http.response.body', body: new Uint8Array() })
    })
    const { start } = await httpRequest(app)
    expect(setCookies(start)).toEqual([])
    expect(store.size).toBe(0)
  })

  it('sends no cookie for an unmodified session, unless saveEveryRequest', async () => {
    const untouched = () => {}
    expect(setCookies((await httpRequest(stack(simpleHttpApp(untouched)).app)).start)).toEqual([])
    const { app, store } = stack(simpleHttpApp(untouched), { saveEveryRequest: true })
    const first = await httpRequest(app, {})
    // An empty session without a cookie stays cookieless even then.
    expect(setCookies(first.start)).toEqual([])
    const session = new Session(store, { maxAgeMs: 1_209_600_000 })
    session.set('a', 1)
    await session.save()
    const signed = signExpiring(
      session.sessionKey ?? '',
      NOW + 60_000,
      SECRET,
      'node-channels.session',
    )
    const second = await httpRequest(app, { headers: [['cookie', `sessionid=${signed}`]] })
    expect(setCookies(second.start)).toHaveLength(1)
  })

  it('deletes the cookie once the session is flushed (logout)', async () => {
    const { app, store } = stack(simpleHttpApp((session) => session.set('a', 1)))
    const signed = cookieValue(setCookies((await httpRequest(app)).start)[0])
    const key = signed.split('.')[0] ?? ''
    const { app: flusher } = stack(
      simpleHttpApp((session) => session.flush()),
      { store },
    )
    const { start } = await httpRequest(flusher, { headers: [['cookie', `sessionid=${signed}`]] })
    expect(setCookies(start)).toEqual([
      'sessionid=""; expires=Thu, 01-Jan-1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax',
    ])
    expect(await store.load(key)).toBe(null)
  })

  it("copies the application's message instead of mutating it", async () => {
    const headers: Array<[string, string]> = [['content-type', 'text/plain']]
    const message = { type: 'http.response.start', status: 200, headers }
    const { app } = stack(async (scope, receive, send) => {
      await receive()
      ;(scope.session as Session).set('a', 1)
      await send(message)
      await send({ type: 'http.response.body', body: new Uint8Array() })
    })
    const { start } = await httpRequest(app)
    expect(start).not.toBe(message)
    expect(setCookies(start)).toHaveLength(1)
    expect(headers).toEqual([['content-type', 'text/plain']])
  })

  it('writes no Max-Age or expires with expireAtBrowserClose, and honours the cookie options', async () => {
    const { app } = stack(
      simpleHttpApp((session) => session.set('a', 1)),
      {
        expireAtBrowserClose: true,
        cookieName: 'sid',
        cookieDomain: 'example.com',
        cookiePath: '/app',
        cookieSecure: true,
        cookieHttpOnly: false,
      },
    )
    const [cookie] = setCookies((await httpRequest(app)).start)
    expect(cookie?.replace(/^sid=[^;]*/, 'sid=X')).toBe(
      'sid=X; Domain=example.com; Path=/app; SameSite=Lax; Secure',
    )
  })

  it('raises SessionInterrupted when the session was deleted during the request (test_session_save_update_error)', async () => {
    const { app, store } = stack(simpleHttpApp((session) => session.set('a', 1)))
    const signed = cookieValue(setCookies((await httpRequest(app)).start)[0])
    const { app: racer } = stack(
      simpleHttpApp(async (session) => {
        await store.delete(session.sessionKey ?? '') // a logout in another tab
        session.set('b', 2)
      }),
      { store },
    )
    await expect(
      httpRequest(racer, { headers: [['cookie', `sessionid=${signed}`]] }),
    ).rejects.toThrow("The request's session was deleted before the request completed.")
  })
})

describe('SessionMiddleware', () => {
  it('never saves a WebSocket session automatically; save() does (documented as in Django)', async () => {
    const store = new InMemorySessionStore()
    let saveExplicitly = false
    const app = SessionMiddlewareStack(
      async (scope, receive, send) => {
        await receive()
        const session = scope.session as Session
        session.set('seen', true)
        if (saveExplicitly) await session.save()
        await send({ type: 'websocket.accept' })
        await receive()
      },
      { secret: SECRET, store },
    )
    for (const explicit of [false, true]) {
      saveExplicitly = explicit
      const running = run(app, websocketScope())
      running.input({ type: 'websocket.connect' })
      expect(await running.output()).toEqual({ type: 'websocket.accept' })
      running.input({ type: 'websocket.disconnect', code: 1000 })
      await running.done
      expect(store.size).toBe(explicit ? 1 : 0)
    }
  })

  it('passes an existing scope.session through untouched', async () => {
    const outer = new Session(new InMemorySessionStore(), { maxAgeMs: 1000 })
    let seen: unknown
    const app = SessionMiddleware(
      simpleHttpApp((session) => {
        seen = session
        session.set('a', 1)
      }),
      { secret: SECRET },
    )
    const { start } = await httpRequest(app, { cookies: {}, session: outer } as Partial<Scope>)
    expect(seen).toBe(outer)
    expect(setCookies(start)).toEqual([])
  })

  it("throws Django's error without CookieMiddleware above it", async () => {
    const app = SessionMiddleware(simpleHttpApp(), { secret: SECRET })
    await expect(httpRequest(app)).rejects.toThrow(
      new TypeError(
        'No cookies in scope - SessionMiddleware needs to run inside of CookieMiddleware.',
      ),
    )
  })

  it('refuses missing or weak secrets and bad options when built', () => {
    const app = simpleHttpApp()
    expect(() => SessionMiddleware(app, undefined as unknown as SessionMiddlewareOptions)).toThrow(
      new TypeError('SessionMiddleware needs an options object with a secret; got undefined.'),
    )
    expect(() => SessionMiddleware(app, {} as SessionMiddlewareOptions)).toThrow(
      new TypeError(
        'SessionMiddleware needs a secret: a string, or a non-empty list of strings for key rotation.',
      ),
    )
    expect(() => SessionMiddleware(app, { secret: 'django-insecure' })).toThrow(
      new RangeError('SessionMiddleware secret #0 must be at least 32 characters long; it has 15.'),
    )
    expect(() => SessionMiddleware(app, { secret: SECRET, maxAgeMs: 10 })).toThrow(
      new RangeError('SessionMiddleware maxAgeMs must be at least 1000 milliseconds; got 10.'),
    )
    expect(() => SessionMiddleware(app, { secret: SECRET, cookieName: 'a b' })).toThrow(
      new TypeError('Cookie name "a b" is not a valid token.'),
    )
    expect(() => SessionMiddleware(app, { secret: SECRET, cookiePath: '/;x' })).toThrow(
      new TypeError('Cookie path "/;x" contains a character not allowed in a cookie attribute.'),
    )
    expect(() =>
      SessionMiddleware(app, {
        secret: SECRET,
        store: { load: async () => null } as unknown as InMemorySessionStore,
      }),
    ).toThrow(
      new TypeError(
        'SessionMiddleware store must have async load(), save() and delete() methods; save() is missing.',
      ),
    )
  })
})

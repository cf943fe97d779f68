import { describe, expect, it } from 'vitest'
import { httpRequest } from './harness.test-util.js'
import { Session } from './session.js'
import {
  cookieValue,
  NOW,
  OLD_SECRET,
  SECRET,
  setCookies,
  simpleHttpApp,
  stack,
} from './session-harness.test-util.js'
import type { SessionMiddlewareOptions } from './session-middleware.js'
import { InMemorySessionStore } from './session-store.js'
import { signExpiring } from './signing.js'

// Forged, tampered, expired, rotated-out and garbage session cookies: each gives a new,
// empty session and never an error.
describe('SessionMiddlewareStack with hostile cookies', () => {
  async function sessionFor(
    cookie: string,
    options: Partial<Omit<SessionMiddlewareOptions, 'store'>> = {},
    store?: InMemorySessionStore,
  ) {
    let seen: Session | undefined
    const built = stack(
      simpleHttpApp((session) => {
        seen = session
      }),
      { ...options, ...(store ? { store } : {}) },
    )
    const { start } = await httpRequest(built.app, { headers: [['cookie', cookie]] })
    return { session: seen as Session, start }
  }

  async function savedSession(
    store: InMemorySessionStore,
    secret = SECRET,
    now = NOW,
  ): Promise<string> {
    const session = new Session(store, { maxAgeMs: 1_209_600_000 })
    session.set('user', 'alice')
    await session.save()
    return signExpiring(
      session.sessionKey ?? '',
      now + 1_209_600_000,
      secret,
      'node-channels.session',
    )
  }

  it('accepts a correctly signed cookie (the control case)', async () => {
    const store = new InMemorySessionStore()
    const { session } = await sessionFor(`sessionid=${await savedSession(store)}`, {}, store)
    expect(session.get('user')).toBe('alice')
  })

  it('gives a fresh session for a forged signature', async () => {
    const store = new InMemorySessionStore()
    const signed = await savedSession(store)
    const forged = `${signed.slice(0, -43)}${'A'.repeat(43)}`
    const { session, start } = await sessionFor(`sessionid=${forged}`, {}, store)
    expect([session.isEmpty, session.get('user'), setCookies(start)]).toEqual([true, undefined, []])
  })

  it("gives a fresh session for a bare session key (Django's unsigned format)", async () => {
    const store = new InMemorySessionStore()
    const key = (await savedSession(store)).split('.')[0]
    const { session } = await sessionFor(`sessionid=${key}`, {}, store)
    expect(session.isEmpty).toBe(true)
  })

  it('gives a fresh session for a tampered session key with the original signature', async () => {
    const store = new InMemorySessionStore()
    const other = (await savedSession(store)).split('.')[0] ?? ''
    const [, expiry, signature] = (await savedSession(store)).split('.')
    const { session } = await sessionFor(`sessionid=${other}.${expiry}.${signature}`, {}, store)
    expect(session.isEmpty).toBe(true)
  })

  it('gives a fresh session for an expired cookie, even with a valid signature', async () => {
    const store = new InMemorySessionStore({ now: () => NOW })
    const session = new Session(store, { maxAgeMs: 1_209_600_000 })
    session.set('user', 'alice')
    await session.save()
    const expired = signExpiring(session.sessionKey ?? '', NOW - 1, SECRET, 'node-channels.session')
    const result = await sessionFor(`sessionid=${expired}`, {}, store)
    expect(result.session.isEmpty).toBe(true)
  })

  it('expires a cookie maxAgeMs after it was issued', async () => {
    let now = NOW
    const store = new InMemorySessionStore({ now: () => NOW })
    const { app } = stack(
      simpleHttpApp((session) => session.set('n', 1)),
      { store, maxAgeMs: 60_000, now: () => now },
    )
    const signed = cookieValue(setCookies((await httpRequest(app)).start)[0])
    now = NOW + 59_999
    expect(
      (
        await sessionFor(`sessionid=${signed}`, { maxAgeMs: 60_000, now: () => now }, store)
      ).session.get('n'),
    ).toBe(1)
    now = NOW + 60_000
    expect(
      (await sessionFor(`sessionid=${signed}`, { maxAgeMs: 60_000, now: () => now }, store)).session
        .isEmpty,
    ).toBe(true)
  })

  it('accepts a cookie signed by a rotated secret still listed, and re-signs with the first', async () => {
    const store = new InMemorySessionStore()
    const signedByOld = await savedSession(store, OLD_SECRET)
    const { app } = stack(
      simpleHttpApp((session) => session.set('seen', true)),
      { store, secret: [SECRET, OLD_SECRET] },
    )
    const { start } = await httpRequest(app, { headers: [['cookie', `sessionid=${signedByOld}`]] })
    const reissued = cookieValue(setCookies(start)[0])
    expect(reissued.split('.')[0]).toBe(signedByOld.split('.')[0])
    expect((await sessionFor(`sessionid=${reissued}`, {}, store)).session.get('seen')).toBe(true)
  })

  it('gives a fresh session for a cookie signed by a secret that was rotated out', async () => {
    const store = new InMemorySessionStore()
    const signedByOld = await savedSession(store, OLD_SECRET)
    expect((await sessionFor(`sessionid=${signedByOld}`, {}, store)).session.isEmpty).toBe(true)
  })

  it.each([
    'sessionid=',
    'sessionid="',
    'sessionid=\x00\x01\x02',
    `sessionid=${'.'.repeat(5000)}`,
    'sessionid=a.b.c.d.e',
    '__proto__=x; constructor=y; sessionid=..',
    ';;;=;=;',
  ])('gives a fresh session for the garbage cookie header %j', async (header) => {
    const { session, start } = await sessionFor(header)
    expect([session.isEmpty, setCookies(start)]).toEqual([true, []])
  })

  it("finds the session only under the cookie name, never through the cookies' prototype", async () => {
    const { session } = await sessionFor('a=b', { cookieName: 'constructor' })
    expect(session.isEmpty).toBe(true)
  })
})

import { describe, expect, it } from 'vitest'
import {
  AnonymousUser,
  type AuthUser,
  getUser,
  type LoadUser,
  login,
  logout,
  SESSION_AUTH_HASH_KEY,
  SESSION_USER_ID_KEY,
} from './auth.js'
import { Session } from './session.js'
import { InMemorySessionStore } from './session-store.js'

interface TestUser extends AuthUser {
  readonly id: number
  readonly username: string
  passwordHash: string
}

/** Stands in for Django's user table and ModelBackend. */
function users() {
  const table = new Map<number, TestUser>()
  const add = (id: number, username: string): TestUser => {
    const user: TestUser = {
      id,
      username,
      passwordHash: `hash-of-${username}`,
      getSessionAuthHash() {
        return `auth:${this.passwordHash}`
      },
    }
    table.set(id, user)
    return user
  }
  const loadUser = async (id: string | number) => table.get(Number(id)) ?? null
  return { bob: add(1, 'bob'), bill: add(2, 'bill'), loadUser }
}

/** Django's `session` fixture: a session that exists in the store. */
async function createdSession(store = new InMemorySessionStore()): Promise<Session> {
  const session = new Session(store, { maxAgeMs: 60_000 })
  await session.save()
  return session
}

/** Mirrors `assert_is_logged_in` from Channels' test_auth.py. */
async function expectLoggedIn(
  scope: Record<string, unknown>,
  user: TestUser,
  loadUser: LoadUser<TestUser>,
) {
  expect(scope.user).toBe(user)
  const session = scope.session as Session
  expect(session.get(SESSION_USER_ID_KEY)).toBe(user.id)
  expect(session.has(SESSION_AUTH_HASH_KEY)).toBe(true)
  expect(await getUser(scope, loadUser)).toBe(user)
}

describe('login', () => {
  it("throws Django's error without a session in scope (test_login_no_session_in_scope)", async () => {
    await expect(login({}, null)).rejects.toThrow(
      new TypeError(
        'Cannot find session in scope. You should wrap your consumer in SessionMiddleware.',
      ),
    )
  })

  it("throws Django's error without a user (test_login_no_user_in_scope)", async () => {
    const scope = { session: await createdSession() }
    const message = 'User must be passed as an argument or must be present in the scope.'
    await expect(login(scope)).rejects.toThrow(new TypeError(message))
    await expect(login({ ...scope, user: new AnonymousUser() })).rejects.toThrow(
      new TypeError(message),
    )
  })

  it('logs in a user given as an argument (test_login_user_as_argument)', async () => {
    const { bob, loadUser } = users()
    const scope: Record<string, unknown> = { session: await createdSession() }
    expect(await getUser(scope, loadUser)).toBeInstanceOf(AnonymousUser)
    expect((scope.session as Session).has(SESSION_USER_ID_KEY)).toBe(false)
    await login(scope, bob)
    await expectLoggedIn(scope, bob, loadUser)
  })

  it('logs in the user already in the scope (test_login_user_on_scope)', async () => {
    const { bob, loadUser } = users()
    const scope: Record<string, unknown> = { session: await createdSession(), user: bob }
    expect(await getUser(scope, loadUser)).toBeInstanceOf(AnonymousUser)
    await login(scope)
    await expectLoggedIn(scope, bob, loadUser)
  })

  it('replaces the user and flushes the session when another user logs in (test_login_change_user)', async () => {
    const { bob, bill, loadUser } = users()
    const scope: Record<string, unknown> = { session: await createdSession() }
    await login(scope, bob)
    await expectLoggedIn(scope, bob, loadUser)
    const session = scope.session as Session
    session.set('bobs_cart', ['apple'])
    const bobsUserId = session.get(SESSION_USER_ID_KEY)
    await login(scope, bill)
    await expectLoggedIn(scope, bill, loadUser)
    expect(session.get(SESSION_USER_ID_KEY)).not.toBe(bobsUserId)
    expect(session.has('bobs_cart')).toBe(false)
  })

  it('cycles the session key on login, keeping anonymous data (against session fixation)', async () => {
    const store = new InMemorySessionStore()
    const { bob } = users()
    const session = await createdSession(store)
    session.set('theme', 'dark')
    const fixedKey = session.sessionKey
    await login({ session }, bob)
    expect(session.sessionKey).not.toBe(fixedKey)
    expect(await store.load(fixedKey ?? '')).toBe(null)
    expect(session.get('theme')).toBe('dark')
  })

  it('keeps the session key when the same user logs in again', async () => {
    const { bob } = users()
    const session = await createdSession()
    await login({ session }, bob)
    const key = session.sessionKey
    await login({ session }, bob)
    expect(session.sessionKey).toBe(key)
  })

  it('refuses a user without a usable id', async () => {
    const session = await createdSession()
    await expect(login({ session }, { id: '' })).rejects.toThrow(
      new TypeError(`A user's id must be a non-empty string or a finite number; got "".`),
    )
  })
})

describe('logout', () => {
  it('flushes the session and makes scope.user anonymous (test_logout)', async () => {
    const { bob, loadUser } = users()
    const scope: Record<string, unknown> = { session: await createdSession() }
    await login(scope, bob)
    await expectLoggedIn(scope, bob, loadUser)
    await logout(scope)
    expect(await getUser(scope, loadUser)).toBeInstanceOf(AnonymousUser)
    expect(scope.user).toBeInstanceOf(AnonymousUser)
    expect((scope.session as Session).has(SESSION_USER_ID_KEY)).toBe(false)
  })

  it('does not add a user to a scope that had none (test_logout_not_logged_in)', async () => {
    const { loadUser } = users()
    const scope: Record<string, unknown> = { session: await createdSession() }
    await logout(scope)
    expect('user' in scope).toBe(false)
    expect(await getUser(scope, loadUser)).toBeInstanceOf(AnonymousUser)
  })

  it('throws Django\'s error, starting with "Login", without a session', async () => {
    await expect(logout({})).rejects.toThrow(
      new TypeError(
        'Login cannot find session in scope. You should wrap your consumer in SessionMiddleware.',
      ),
    )
  })
})

describe('getUser', () => {
  it('logs out every session once the password (and so the auth hash) changes', async () => {
    const { bob, loadUser } = users()
    const scope: Record<string, unknown> = { session: await createdSession() }
    await login(scope, bob)
    bob.passwordHash = 'hash-of-new-password'
    expect(await getUser(scope, loadUser)).toBeInstanceOf(AnonymousUser)
    expect((scope.session as Session).isEmpty).toBe(true)
  })

  it('flushes a session whose stored hash is missing or not a string', async () => {
    const { bob, loadUser } = users()
    for (const hash of [undefined, '', 42, { toString: () => 'auth:hash-of-bob' }]) {
      const session = await createdSession()
      session.set(SESSION_USER_ID_KEY, bob.id)
      if (hash !== undefined) session.set(SESSION_AUTH_HASH_KEY, hash)
      expect(await getUser({ session }, loadUser)).toBeInstanceOf(AnonymousUser)
      expect(session.isEmpty).toBe(true)
    }
  })

  it('is anonymous for an unknown id or a stored id of the wrong type, without calling the loader for the latter', async () => {
    const calls: unknown[] = []
    const loadUser = async (id: string | number) => {
      calls.push(id)
      return null
    }
    for (const id of [99, { $gt: '' }, ['1'], '', Number.NaN]) {
      const session = await createdSession()
      session.set(SESSION_USER_ID_KEY, id)
      expect(await getUser({ session }, loadUser)).toBeInstanceOf(AnonymousUser)
    }
    expect(calls).toEqual([99])
  })

  it('trusts a user without getSessionAuthHash by id alone', async () => {
    const plain = { id: 'u-1', name: 'plain' }
    const session = await createdSession()
    await login({ session }, plain)
    expect(session.get(SESSION_AUTH_HASH_KEY)).toBe('')
    expect(await getUser({ session }, async (id) => (id === 'u-1' ? plain : null))).toBe(plain)
  })
})

describe('AnonymousUser', () => {
  it('has a null id and says it is not authenticated', () => {
    const user = new AnonymousUser()
    expect([user.id, user.isAuthenticated, user.isAnonymous, String(user)]).toEqual([
      null,
      false,
      true,
      'AnonymousUser',
    ])
  })
})

import { quoteValue } from '../quote-value.js'
import { getSession, type Session } from './session.js'
import { constantTimeEqual } from './signing.js'

/**
 * What `AuthMiddleware`, `login()` and `logout()` need from a user: an `id`, and optionally
 * a session-auth hash (derive it from the password hash, so that changing the password logs
 * out every other session). Mirrors the parts of Django's `AbstractBaseUser` that
 * `channels.auth` uses.
 */
export interface AuthUser {
  readonly id: string | number
  getSessionAuthHash?(): string
}

/** Finds the user with `id`, or returns `null`. Supplied by the application; plays Django's auth backend. */
export type LoadUser<TUser extends AuthUser = AuthUser> = (
  id: string | number,
) => Promise<TUser | null>

/** The session key holding the user's id. Mirrors Django's `SESSION_KEY`. */
export const SESSION_USER_ID_KEY = '_auth_user_id'
/** The session key holding the session-auth hash. Mirrors Django's `HASH_SESSION_KEY`. */
export const SESSION_AUTH_HASH_KEY = '_auth_user_hash'

/** The user of a connection that is not logged in. Mirrors `django.contrib.auth.models.AnonymousUser`. */
export class AnonymousUser {
  readonly id: null = null
  readonly isAuthenticated: false = false
  readonly isAnonymous: true = true

  toString(): string {
    return 'AnonymousUser'
  }
}

/**
 * Returns the user logged in to `scope.session`, through `loadUser`, or an `AnonymousUser`.
 * When the user has `getSessionAuthHash()` and the stored hash does not match (compared in
 * constant time), the session is flushed and the result is anonymous.
 * Mirrors `channels.auth.get_user`.
 */
export async function getUser<TUser extends AuthUser>(
  scope: Readonly<Record<string, unknown>>,
  loadUser: LoadUser<TUser>,
): Promise<TUser | AnonymousUser> {
  const session = getSession(scope)
  const id = session.get(SESSION_USER_ID_KEY)
  if (!isUserId(id)) return new AnonymousUser()
  const user = await loadUser(id)
  if (user === null || user === undefined) return new AnonymousUser()
  if (typeof user.getSessionAuthHash === 'function') {
    const stored = session.get(SESSION_AUTH_HASH_KEY)
    const verified =
      typeof stored === 'string' &&
      stored !== '' &&
      constantTimeEqual(stored, user.getSessionAuthHash())
    if (!verified) {
      await session.flush()
      return new AnonymousUser()
    }
  }
  return user
}

/**
 * Logs `user` (or, when omitted, `scope.user`) in to `scope.session` and sets `scope.user`.
 * A different user already in the session flushes it; otherwise the session key is cycled,
 * against session fixation. Data set while anonymous is kept. The session is not saved:
 * HTTP responses save it, on a WebSocket call `await scope.session.save()`.
 * Mirrors `channels.auth.login`.
 */
export async function login(scope: Record<string, unknown>, user?: AuthUser | null): Promise<void> {
  if (!('session' in scope)) {
    throw new TypeError(
      'Cannot find session in scope. You should wrap your consumer in SessionMiddleware.',
    )
  }
  const session = getSession(scope)
  const candidate: unknown = user ?? scope.user
  if (candidate === null || candidate === undefined || candidate instanceof AnonymousUser) {
    throw new TypeError('User must be passed as an argument or must be present in the scope.')
  }
  const target = candidate as AuthUser
  if (!isUserId(target.id)) {
    throw new TypeError(
      `A user's id must be a non-empty string or a finite number; got ${quoteValue(target.id)}.`,
    )
  }
  const hash = typeof target.getSessionAuthHash === 'function' ? target.getSessionAuthHash() : ''
  if (typeof hash !== 'string')
    throw new TypeError(`getSessionAuthHash() must return a string; got ${quoteValue(hash)}.`)

  if (session.has(SESSION_USER_ID_KEY)) {
    const stored = session.get(SESSION_AUTH_HASH_KEY)
    const sameHash = hash === '' || (typeof stored === 'string' && constantTimeEqual(stored, hash))
    // Never reuse another user's session: start an empty one.
    if (session.get(SESSION_USER_ID_KEY) !== target.id || !sameHash) await session.flush()
  } else {
    await session.cycleKey()
  }
  session.set(SESSION_USER_ID_KEY, target.id)
  session.set(SESSION_AUTH_HASH_KEY, hash)
  scope.user = target
}

/**
 * Flushes `scope.session` and, if the scope has a `user`, replaces it with an
 * `AnonymousUser` (a scope without `user` stays without one). Mirrors `channels.auth.logout`.
 */
export async function logout(scope: Record<string, unknown>): Promise<void> {
  if (!('session' in scope)) {
    // Django's message, which really does start with "Login".
    throw new TypeError(
      'Login cannot find session in scope. You should wrap your consumer in SessionMiddleware.',
    )
  }
  const session: Session = getSession(scope)
  await session.flush()
  if ('user' in scope) scope.user = new AnonymousUser()
}

function isUserId(id: unknown): id is string | number {
  return (typeof id === 'string' && id !== '') || (typeof id === 'number' && Number.isFinite(id))
}

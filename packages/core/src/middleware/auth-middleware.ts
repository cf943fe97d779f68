import { quoteValue } from '../quote-value.js'
import type { Application, Scope } from '../types.js'
import { type AuthUser, getUser, type LoadUser } from './auth.js'
import { BaseMiddleware, requireApplication, type ScopeAdditions } from './base-middleware.js'
import { type SessionMiddlewareOptions, SessionMiddlewareStack } from './session-middleware.js'

/** Options for `AuthMiddleware`. */
export interface AuthMiddlewareOptions<TUser extends AuthUser = AuthUser> {
  /** Finds a user by the id stored in the session, or returns `null`. Required. */
  loadUser: LoadUser<TUser>
}

/** Options for `AuthMiddlewareStack`: the session options plus `loadUser`. */
export interface AuthMiddlewareStackOptions<TUser extends AuthUser = AuthUser>
  extends SessionMiddlewareOptions,
    AuthMiddlewareOptions<TUser> {}

/**
 * Wraps `inner` so that it sees the logged-in user as `scope.user` (an `AnonymousUser` when
 * nobody is logged in). The user is resolved eagerly, before `inner` runs, through
 * `loadUser`. Needs `SessionMiddleware` above it. Mirrors `channels.auth.AuthMiddleware`.
 */
export function AuthMiddleware<TUser extends AuthUser>(
  inner: Application,
  options: AuthMiddlewareOptions<TUser>,
): Application {
  requireApplication(inner, 'AuthMiddleware')
  const loadUser = options?.loadUser
  if (typeof loadUser !== 'function') {
    throw new TypeError(
      `AuthMiddleware needs a loadUser(id) function; got ${quoteValue(loadUser)}.`,
    )
  }
  return new UserScopeMiddleware(inner, loadUser).asApplication()
}

/**
 * `CookieMiddleware(SessionMiddleware(AuthMiddleware(inner)))`, configured by one options
 * object. Mirrors `channels.auth.AuthMiddlewareStack`.
 */
export function AuthMiddlewareStack<TUser extends AuthUser>(
  inner: Application,
  options: AuthMiddlewareStackOptions<TUser>,
): Application {
  const { loadUser, ...sessionOptions } = options ?? ({} as AuthMiddlewareStackOptions<TUser>)
  return SessionMiddlewareStack(AuthMiddleware(inner, { loadUser }), sessionOptions)
}

class UserScopeMiddleware<TUser extends AuthUser> extends BaseMiddleware {
  readonly #loadUser: LoadUser<TUser>

  constructor(inner: Application, loadUser: LoadUser<TUser>) {
    super(inner)
    this.#loadUser = loadUser
  }

  override async resolveScope(scope: Readonly<Scope>): Promise<ScopeAdditions> {
    if (!('session' in scope)) {
      throw new TypeError(
        'AuthMiddleware cannot find session in scope. SessionMiddleware must be above it.',
      )
    }
    return { user: await getUser(scope, this.#loadUser) }
  }
}

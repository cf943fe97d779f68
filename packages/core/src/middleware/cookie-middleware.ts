import type { Application, Scope } from '../types.js'
import { BaseMiddleware, requireApplication, type ScopeAdditions } from './base-middleware.js'
import { parseCookie } from './cookies.js'

/**
 * Wraps `inner` so that it sees the request's cookies as `scope.cookies` (a null-prototype
 * object, `{}` when there is no `cookie` header). Only the first `cookie` header is read.
 * A scope without `headers` (lifespan, channel) is a TypeError.
 * Mirrors `channels.sessions.CookieMiddleware`; `setCookie`/`deleteCookie` are its helpers.
 */
export function CookieMiddleware(inner: Application): Application {
  requireApplication(inner, 'CookieMiddleware')
  return new CookieScopeMiddleware(inner).asApplication()
}

class CookieScopeMiddleware extends BaseMiddleware {
  override resolveScope(scope: Readonly<Scope>): Promise<ScopeAdditions> {
    const headers = scope.headers
    if (!Array.isArray(headers)) {
      // Django's message, verbatim.
      throw new TypeError(
        'CookieMiddleware was passed a scope that did not have a headers key (make sure it is only passed HTTP or WebSocket connections)',
      )
    }
    for (const header of headers) {
      if (Array.isArray(header) && header[0] === 'cookie' && typeof header[1] === 'string') {
        return Promise.resolve({ cookies: parseCookie(header[1]) })
      }
    }
    return Promise.resolve({ cookies: Object.create(null) })
  }
}

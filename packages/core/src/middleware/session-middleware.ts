import { quoteValue } from '../quote-value.js'
import type { Application, Message, Receive, Scope, Send } from '../types.js'
import { BaseMiddleware, requireApplication } from './base-middleware.js'
import { CookieMiddleware } from './cookie-middleware.js'
import {
  deleteCookie,
  requireCookieName,
  requireSameSite,
  type SameSite,
  setCookie,
} from './cookies.js'
import { Session } from './session.js'
import { InMemorySessionStore, type SessionStore } from './session-store.js'
import { normalizeSecrets, type Secrets, signExpiring, unsignExpiring } from './signing.js'

/**
 * Options for `SessionMiddleware` and `SessionMiddlewareStack`. The cookie settings mirror
 * Django's `SESSION_COOKIE_*` settings, with the same defaults.
 */
export interface SessionMiddlewareOptions {
  /**
   * Signs the session cookie (HMAC-SHA256), at least 32 characters. Give a list to rotate
   * secrets: the first signs, every one verifies. Required.
   */
  secret: Secrets
  /** Where session data lives. @default a new `InMemorySessionStore()` */
  store?: SessionStore
  /** @default 'sessionid' */
  cookieName?: string
  /** How long a session lives after its last save: the store's TTL and the cookie's expiry. @default 1_209_600_000 (two weeks) */
  maxAgeMs?: number
  /** @default '/' */
  cookiePath?: string
  /** @default null */
  cookieDomain?: string | null
  /** Send the cookie over HTTPS only. Turn this on in production. @default false */
  cookieSecure?: boolean
  /** Hide the cookie from page scripts. @default true */
  cookieHttpOnly?: boolean
  /** @default 'Lax' */
  cookieSameSite?: SameSite | null
  /** Write the cookie without `Max-Age`/`expires`, so the browser drops it on exit (the signed value still expires after `maxAgeMs`). @default false */
  expireAtBrowserClose?: boolean
  /** Save the session and re-send the cookie on every HTTP response, not only when modified. @default false */
  saveEveryRequest?: boolean
  /** The clock, for cookie expiry. @default Date.now */
  now?: () => number
}

/** Domain separation: a session signature is never valid as any other signed value. */
const SALT = 'node-channels.session'

interface Config {
  secrets: readonly string[]
  store: SessionStore
  cookieName: string
  maxAgeMs: number
  cookiePath: string
  cookieDomain: string | null
  cookieSecure: boolean
  cookieHttpOnly: boolean
  cookieSameSite: SameSite | null
  expireAtBrowserClose: boolean
  saveEveryRequest: boolean
  now: () => number
}

/**
 * Wraps `inner` so that it sees the client's session as `scope.session` (a `Session`), found
 * through a signed cookie. The session is loaded before `inner` runs. A cookie that is
 * forged, tampered with, signed by a retired secret or expired gives a new, empty session,
 * never an error. On `http.response.start` a modified session is saved and its cookie set
 * (or deleted once the session is empty), except on status 500. WebSocket sessions are
 * never saved automatically: call `await scope.session.save()`. Needs `CookieMiddleware`
 * above it. Mirrors `channels.sessions.SessionMiddleware`.
 */
export function SessionMiddleware(
  inner: Application,
  options: SessionMiddlewareOptions,
): Application {
  requireApplication(inner, 'SessionMiddleware')
  return new SessionScopeMiddleware(inner, resolveOptions(options)).asApplication()
}

/** `CookieMiddleware(SessionMiddleware(inner, options))`. Mirrors `channels.sessions.SessionMiddlewareStack`. */
export function SessionMiddlewareStack(
  inner: Application,
  options: SessionMiddlewareOptions,
): Application {
  return CookieMiddleware(SessionMiddleware(inner, options))
}

class SessionScopeMiddleware extends BaseMiddleware {
  readonly #config: Config

  constructor(inner: Application, config: Config) {
    super(inner)
    this.#config = config
  }

  override async call(scope: Scope, receive: Receive, send: Send): Promise<void> {
    // A session middleware further out owns the session and its saving.
    if ('session' in scope) return this.inner({ ...scope }, receive, send)
    const cookies = scope.cookies
    if (typeof cookies !== 'object' || cookies === null) {
      throw new TypeError(
        'No cookies in scope - SessionMiddleware needs to run inside of CookieMiddleware.',
      )
    }
    const config = this.#config
    const hadCookie = Object.hasOwn(cookies, config.cookieName)
    const signed = hadCookie ? Reflect.get(cookies, config.cookieName) : undefined
    const key = unsignExpiring(signed, config.secrets, SALT, config.now())
    const options = { maxAgeMs: config.maxAgeMs }
    const session =
      key === null
        ? new Session(config.store, options)
        : await Session.load(config.store, key, options)

    const sessionSend: Send = async (message) => {
      await send(
        message.type === 'http.response.start'
          ? await this.#respond(message, session, hadCookie)
          : message,
      )
    }
    await this.inner({ ...scope, session }, receive, sessionSend)
  }

  /** Saves the session if needed and returns a copy of `message` carrying the cookie. */
  async #respond(message: Message, session: Session, hadCookie: boolean): Promise<Message> {
    const config = this.#config
    const status = message.status ?? 200
    if (status === 500 || !(session.modified || config.saveEveryRequest)) return message
    // Never mutate the application's message.
    const out: Message = { ...message }
    if (Array.isArray(message.headers)) out.headers = [...message.headers]
    const cookie = {
      path: config.cookiePath,
      domain: config.cookieDomain,
      secure: config.cookieSecure,
      sameSite: config.cookieSameSite,
    }
    if (session.isEmpty) {
      if (hadCookie) deleteCookie(out, config.cookieName, cookie)
      return out
    }
    await session.save()
    const now = config.now()
    const key = session.sessionKey ?? ''
    setCookie(
      out,
      config.cookieName,
      signExpiring(key, now + config.maxAgeMs, firstOf(config.secrets), SALT),
      {
        ...cookie,
        httpOnly: config.cookieHttpOnly,
        maxAgeMs: config.expireAtBrowserClose ? null : config.maxAgeMs,
        now: () => now,
      },
    )
    return out
  }
}

function resolveOptions(options: SessionMiddlewareOptions): Config {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      `SessionMiddleware needs an options object with a secret; got ${quoteValue(options)}.`,
    )
  }
  const {
    store = new InMemorySessionStore(),
    cookieName = 'sessionid',
    maxAgeMs = 1_209_600_000,
    cookiePath = '/',
    cookieDomain = null,
    cookieSecure = false,
    cookieHttpOnly = true,
    cookieSameSite = 'Lax',
    expireAtBrowserClose = false,
    saveEveryRequest = false,
    now = Date.now,
  } = options
  const secrets = normalizeSecrets(options.secret, 'SessionMiddleware')
  for (const method of ['load', 'save', 'delete'] as const) {
    if (typeof store?.[method] !== 'function') {
      throw new TypeError(
        `SessionMiddleware store must have async load(), save() and delete() methods; ${method}() is missing.`,
      )
    }
  }
  requireCookieName(cookieName)
  requireSameSite(cookieSameSite)
  if (typeof maxAgeMs !== 'number' || !Number.isFinite(maxAgeMs) || maxAgeMs < 1000) {
    throw new RangeError(
      `SessionMiddleware maxAgeMs must be at least 1000 milliseconds; got ${quoteValue(maxAgeMs)}.`,
    )
  }
  if (typeof now !== 'function')
    throw new TypeError('SessionMiddleware now must be a function returning milliseconds.')
  // Check the attributes once now, rather than on the first response.
  setCookie({ type: 'check' }, cookieName, 'x', {
    path: cookiePath,
    domain: cookieDomain,
    sameSite: cookieSameSite,
  })
  return {
    secrets,
    store,
    cookieName,
    maxAgeMs,
    cookiePath,
    cookieDomain,
    cookieSecure: cookieSecure === true,
    cookieHttpOnly: cookieHttpOnly === true,
    cookieSameSite,
    expireAtBrowserClose: expireAtBrowserClose === true,
    saveEveryRequest: saveEveryRequest === true,
    now,
  }
}

function firstOf(secrets: readonly string[]): string {
  const [first] = secrets
  if (first === undefined) throw new TypeError('SessionMiddleware needs a secret.')
  return first
}

import { quoteValue } from '../quote-value.js'
import type { Application, Scope } from '../types.js'
import { AnonymousUser, type AuthUser } from './auth.js'
import { BaseMiddleware, requireApplication, type ScopeAdditions } from './base-middleware.js'
import { parseJsonSafely } from './safe-json.js'
import { normalizeSecrets, type Secrets, signExpiring, unsignExpiring } from './signing.js'

/** Options for `createAuthToken()`. */
export interface CreateAuthTokenOptions {
  /** At least 32 characters; with a list, the first signs. Required. */
  secret: Secrets
  /** How long the token is valid. Keep it short: tokens in URLs end up in logs. @default 60_000 */
  maxAgeMs?: number
  /** @default Date.now */
  now?: () => number
}

/** Options for `verifyAuthToken()`. */
export interface VerifyAuthTokenOptions {
  /** At least 32 characters; with a list (key rotation), every one verifies. Required. */
  secret: Secrets
  /** @default Date.now */
  now?: () => number
}

/** Options for `TokenAuthMiddleware`. */
export interface TokenAuthMiddlewareOptions<TUser extends AuthUser = AuthUser> {
  /** Returns the user a token stands for, or `null` for an invalid token. Required. */
  verify: (token: string, scope: Readonly<Scope>) => Promise<TUser | null> | TUser | null
  /** The query-string parameter carrying the token, or `false` not to look there. @default 'token' */
  queryParam?: string | false
  /**
   * The prefix of an offered subprotocol carrying the token (`new WebSocket(url, ['chat',
   * 'token.' + token])`), or `false` not to look there. The entry is removed from
   * `scope.subprotocols`, so the application never echoes it back. @default 'token.'
   */
  subprotocolPrefix?: string | false
}

const SALT = 'node-channels.auth-token'
const MAX_TOKEN_LENGTH = 4096

/**
 * Returns a signed, expiring token for the user `id`, for clients that cannot send cookies
 * or headers with a WebSocket handshake (browsers on another domain, native apps). Hand it
 * out from an authenticated HTTP endpoint; it contains only the id, the expiry and an
 * HMAC-SHA256 signature, and uses only URL-safe, subprotocol-safe characters.
 */
export function createAuthToken(id: string | number, options: CreateAuthTokenOptions): string {
  const [secret] = normalizeSecrets(options?.secret, 'createAuthToken')
  const { maxAgeMs = 60_000, now = Date.now } = options
  if ((typeof id !== 'string' || id === '') && (typeof id !== 'number' || !Number.isFinite(id))) {
    throw new TypeError(
      `createAuthToken needs a non-empty string or finite number id; got ${quoteValue(id)}.`,
    )
  }
  if (typeof maxAgeMs !== 'number' || !Number.isFinite(maxAgeMs) || maxAgeMs <= 0) {
    throw new RangeError(
      `createAuthToken maxAgeMs must be a positive number of milliseconds; got ${quoteValue(maxAgeMs)}.`,
    )
  }
  const payload = Buffer.from(JSON.stringify(id), 'utf8').toString('base64url')
  return signExpiring(payload, now() + maxAgeMs, secret ?? '', SALT)
}

/**
 * Returns the user id inside a token made by `createAuthToken()` with one of the secrets,
 * or `null` when it is forged, tampered with, expired or garbage (never throws for a bad token).
 */
export function verifyAuthToken(
  token: unknown,
  options: VerifyAuthTokenOptions,
): string | number | null {
  const secrets = normalizeSecrets(options?.secret, 'verifyAuthToken')
  const { now = Date.now } = options
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return null
  const payload = unsignExpiring(token, secrets, SALT, now())
  if (payload === null) return null
  let id: unknown
  try {
    id = parseJsonSafely(Buffer.from(payload, 'base64url').toString('utf8'))
  } catch {
    return null
  }
  if (typeof id === 'string' && id !== '') return id
  return typeof id === 'number' && Number.isFinite(id) ? id : null
}

/**
 * Wraps `inner` so that it sees `scope.user` resolved from a token in the query string
 * (`?token=...`) or in an offered subprotocol (`token.<token>`), through `verify`; an
 * `AnonymousUser` when there is no token, several, or `verify` returns `null`. The
 * subprotocol is checked first. For browsers that cannot send an `Authorization` header
 * with a WebSocket handshake. Channels leaves this to a recipe (its `QueryAuthMiddleware`).
 *
 * @example
 * TokenAuthMiddleware(URLRouter([...]), {
 *   verify: async (token) => {
 *     const id = verifyAuthToken(token, { secret: process.env.TOKEN_SECRET ?? '' })
 *     return id === null ? null : users.findById(id)
 *   },
 * })
 */
export function TokenAuthMiddleware<TUser extends AuthUser>(
  inner: Application,
  options: TokenAuthMiddlewareOptions<TUser>,
): Application {
  requireApplication(inner, 'TokenAuthMiddleware')
  const { verify, queryParam = 'token', subprotocolPrefix = 'token.' } = options ?? {}
  if (typeof verify !== 'function') {
    throw new TypeError(
      `TokenAuthMiddleware needs a verify(token) function; got ${quoteValue(verify)}.`,
    )
  }
  if (queryParam !== false && (typeof queryParam !== 'string' || queryParam === '')) {
    throw new TypeError(
      `TokenAuthMiddleware queryParam must be a non-empty string or false; got ${quoteValue(queryParam)}.`,
    )
  }
  if (
    subprotocolPrefix !== false &&
    (typeof subprotocolPrefix !== 'string' || subprotocolPrefix === '')
  ) {
    throw new TypeError(
      `TokenAuthMiddleware subprotocolPrefix must be a non-empty string or false; got ${quoteValue(subprotocolPrefix)}.`,
    )
  }
  return new TokenScopeMiddleware(inner, verify, queryParam, subprotocolPrefix).asApplication()
}

class TokenScopeMiddleware<TUser extends AuthUser> extends BaseMiddleware {
  readonly #verify: TokenAuthMiddlewareOptions<TUser>['verify']
  readonly #queryParam: string | false
  readonly #prefix: string | false

  constructor(
    inner: Application,
    verify: TokenAuthMiddlewareOptions<TUser>['verify'],
    queryParam: string | false,
    prefix: string | false,
  ) {
    super(inner)
    this.#verify = verify
    this.#queryParam = queryParam
    this.#prefix = prefix
  }

  override async resolveScope(scope: Readonly<Scope>): Promise<ScopeAdditions> {
    const additions: ScopeAdditions = {}
    const tokens: string[] = []
    const prefix = this.#prefix
    if (prefix !== false && Array.isArray(scope.subprotocols)) {
      const offered = scope.subprotocols.filter((item): item is string => typeof item === 'string')
      tokens.push(
        ...offered
          .filter((item) => item.startsWith(prefix))
          .map((item) => item.slice(prefix.length)),
      )
      additions.subprotocols = offered.filter((item) => !item.startsWith(prefix))
    }
    if (
      tokens.length === 0 &&
      this.#queryParam !== false &&
      typeof scope.query_string === 'string'
    ) {
      tokens.push(...new URLSearchParams(scope.query_string).getAll(this.#queryParam))
    }
    // Two tokens are ambiguous: neither is trusted.
    const token = tokens.length === 1 ? tokens[0] : undefined
    const user = token === undefined || token === '' ? null : await this.#verify(token, scope)
    additions.user = user ?? new AnonymousUser()
    return additions
  }
}

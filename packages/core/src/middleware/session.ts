import { randomBytes } from 'node:crypto'
import { quoteValue } from '../quote-value.js'
import { parseJsonSafely } from './safe-json.js'
import type { SessionStore } from './session-store.js'

/** Options for `new Session()` and `Session.load()`. */
export interface SessionOptions {
  /** How long the session lives in the store after each save. */
  maxAgeMs: number
}

/**
 * The session was deleted from the store while this connection was using it (for example
 * the user logged out in another tab), so it is not saved again.
 * Mirrors `django.contrib.sessions.exceptions.SessionInterrupted`.
 */
export class SessionInterrupted extends Error {
  override name = 'SessionInterrupted'

  constructor(options?: ErrorOptions) {
    super(
      "The request's session was deleted before the request completed. The user may have logged out in a concurrent request, for example.",
      options,
    )
  }
}

const KEY_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789'
/** Session keys: 32 characters of [a-z0-9], as Django generates them. */
const SESSION_KEY_PATTERN: RegExp = /^[a-z0-9]{32}$/

let initialise: (session: Session, key: string, data: Map<string, unknown>) => void

/**
 * One client's session: a string-keyed map of JSON values, saved in a `SessionStore` under
 * a random key. `SessionMiddleware` puts one in `scope.session`, loaded eagerly before the
 * application runs, so `get`/`set` are synchronous. Changes are saved automatically when an
 * HTTP response starts; on a WebSocket, call `await session.save()` yourself.
 * Mirrors `django.contrib.sessions.backends.base.SessionBase`.
 */
export class Session {
  /**
   * True once the data was changed (`set`, `delete`, `clear`, `flush`, `cycleKey`). Set it
   * yourself after mutating a stored object in place, as in Django.
   */
  modified = false
  #key: string | null = null
  #data = new Map<string, unknown>()
  readonly #store: SessionStore
  readonly #maxAgeMs: number

  static {
    initialise = (session, key, data) => {
      session.#key = key
      session.#data = data
    }
  }

  /** Creates a new, empty session with no key; `save()` gives it one. */
  constructor(store: SessionStore, options: SessionOptions) {
    const { maxAgeMs } = options
    if (typeof maxAgeMs !== 'number' || !Number.isFinite(maxAgeMs) || maxAgeMs <= 0) {
      throw new RangeError(
        `Session maxAgeMs must be a positive number of milliseconds; got ${quoteValue(maxAgeMs)}.`,
      )
    }
    this.#store = store
    this.#maxAgeMs = maxAgeMs
  }

  /**
   * Loads the session saved under `key`. A key that is missing, expired or holds anything
   * but a JSON object gives a new, empty session instead (never an error).
   */
  static async load(store: SessionStore, key: string, options: SessionOptions): Promise<Session> {
    const session = new Session(store, options)
    if (!SESSION_KEY_PATTERN.test(key)) return session
    const text = await store.load(key)
    if (text === null) return session
    let parsed: unknown
    try {
      parsed = parseJsonSafely(text)
    } catch {
      return session
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return session
    initialise(session, key, new Map(Object.entries(parsed)))
    return session
  }

  /** The key the session is saved under, or `null` before the first save. */
  get sessionKey(): string | null {
    return this.#key
  }

  /** True when the session has neither a key nor data. Mirrors `is_empty()`. */
  get isEmpty(): boolean {
    return this.#key === null && this.#data.size === 0
  }

  /** Returns the value under `key`, or `undefined`. */
  get(key: string): unknown {
    return this.#data.get(key)
  }

  /** True when `key` is set. Mirrors `key in session`. */
  has(key: string): boolean {
    return this.#data.has(key)
  }

  /** Sets `key` to a JSON-serialisable value. */
  set(key: string, value: unknown): void {
    if (typeof key !== 'string')
      throw new TypeError(`Session keys must be strings; got ${quoteValue(key)}.`)
    this.#data.set(key, value)
    this.modified = true
  }

  /** Removes `key` and reports whether it was set. Mirrors `pop(key, None)`. */
  delete(key: string): boolean {
    const existed = this.#data.delete(key)
    if (existed) this.modified = true
    return existed
  }

  /** The keys that are set. */
  keys(): string[] {
    return [...this.#data.keys()]
  }

  /** Removes every key but keeps the session key. Mirrors `clear()`. */
  clear(): void {
    this.#data.clear()
    this.modified = true
  }

  /** Removes every key, deletes the stored session and drops its key. Mirrors `flush()`. */
  async flush(): Promise<void> {
    const key = this.#key
    this.#data.clear()
    this.#key = null
    this.modified = true
    if (key !== null) await this.#store.delete(key)
  }

  /**
   * Moves the data to a new key (saved at once) and deletes the old one; call it when the
   * privilege level changes (login) to defeat session fixation. Mirrors `cycle_key()`.
   */
  async cycleKey(): Promise<void> {
    const oldKey = this.#key
    const data = this.#serialise()
    const newKey = newSessionKey()
    await this.#store.save(newKey, data, this.#maxAgeMs)
    this.#key = newKey
    this.modified = true
    if (oldKey !== null) await this.#store.delete(oldKey)
  }

  /**
   * Saves the data: under a new key when there is none yet, else in place. Throws
   * `SessionInterrupted` if the stored session was deleted meanwhile. Mirrors `save()`.
   */
  async save(): Promise<void> {
    const data = this.#serialise()
    const key = this.#key
    if (key === null) {
      const created = newSessionKey()
      await this.#store.save(created, data, this.#maxAgeMs)
      this.#key = created
      return
    }
    if (!(await this.#update(key, data))) throw new SessionInterrupted()
  }

  async #update(key: string, data: string): Promise<boolean> {
    const store = this.#store
    if (store.update) return store.update(key, data, this.#maxAgeMs)
    if ((await store.load(key)) === null) return false
    await store.save(key, data, this.#maxAgeMs)
    return true
  }

  #serialise(): string {
    try {
      // Object.fromEntries defines own properties, so a `__proto__` key stays data.
      return JSON.stringify(Object.fromEntries(this.#data))
    } catch (error) {
      throw new TypeError(`Session data is not JSON-serialisable: ${(error as Error).message}`, {
        cause: error,
      })
    }
  }
}

/**
 * Returns `scope.session`, or throws Django's error when the application is not wrapped
 * in `SessionMiddleware`.
 */
export function getSession(scope: Readonly<Record<string, unknown>>): Session {
  const session = scope.session
  if (session instanceof Session) return session
  if (session === undefined) {
    throw new TypeError(
      'Cannot find session in scope. You should wrap your consumer in SessionMiddleware.',
    )
  }
  throw new TypeError(`scope.session is not a Session; got ${quoteValue(session)}.`)
}

/** A new random session key: 32 characters of [a-z0-9] from the CSPRNG, without modulo bias. */
function newSessionKey(): string {
  let key = ''
  while (key.length < 32) {
    for (const byte of randomBytes(48)) {
      // 252 = 7 * 36: bytes at or above it would favour the first letters.
      if (byte < 252 && key.length < 32) key += KEY_ALPHABET[byte % 36]
    }
  }
  return key
}

/**
 * Where sessions live between connections: JSON text under a session key, with a time to
 * live. All methods are async. The in-memory store is the default; `@node-channels/redis`
 * provides a Redis one. Mirrors the storage half of Django's `SessionBase` backends.
 */
export interface SessionStore {
  /** Returns the JSON text saved under `key`, or `null` when there is none (or it expired). */
  load(key: string): Promise<string | null>
  /** Saves `data` (JSON text) under `key` for `ttlMs` milliseconds, creating or replacing it. */
  save(key: string, data: string, ttlMs: number): Promise<void>
  /** Removes `key`; removing a missing key is not an error. */
  delete(key: string): Promise<void>
  /**
   * Replaces `key` only if it still exists, and reports whether it did (Redis: `SET ... XX`).
   * Optional: without it, `Session.save()` checks with `load()` first, which is not atomic.
   * A session deleted while a request was using it (a logout elsewhere) is then never
   * resurrected. Mirrors Django's `UpdateError`.
   */
  update?(key: string, data: string, ttlMs: number): Promise<boolean>
}

/** Options for `new InMemorySessionStore()`. */
export interface InMemorySessionStoreOptions {
  /** Sessions held at most; saving one more evicts the least recently saved. @default 10_000 */
  maxEntries?: number
  /** The clock, for expiry. @default Date.now */
  now?: () => number
}

interface Entry {
  data: string
  expiresAtMs: number
}

// Expired entries removed per save, at most, so one save never scans the whole map.
const SWEEP_LIMIT = 100

/**
 * A `SessionStore` in this process's memory: bounded (`maxEntries`) and expiring (each
 * entry lives `ttlMs`). For development, tests and single-process servers; sessions are
 * lost on restart and not shared between processes. Mirrors Django's `cache` session
 * backend over a local-memory cache.
 */
export class InMemorySessionStore implements SessionStore {
  readonly #entries = new Map<string, Entry>()
  readonly #maxEntries: number
  readonly #now: () => number

  constructor(options: InMemorySessionStoreOptions = {}) {
    const { maxEntries = 10_000, now = Date.now } = options
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(
        `InMemorySessionStore maxEntries must be a positive integer; got ${JSON.stringify(maxEntries)}.`,
      )
    }
    if (typeof now !== 'function')
      throw new TypeError('InMemorySessionStore now must be a function returning milliseconds.')
    this.#maxEntries = maxEntries
    this.#now = now
  }

  /** Sessions currently held, including expired ones not yet swept. */
  get size(): number {
    return this.#entries.size
  }

  /** Returns the saved JSON text, or `null` when missing or expired. */
  load(key: string): Promise<string | null> {
    return Promise.resolve(this.#live(key)?.data ?? null)
  }

  /** Saves `data` for `ttlMs`, evicting expired and then least recently saved entries. */
  save(key: string, data: string, ttlMs: number): Promise<void> {
    requireTtl(ttlMs)
    this.#entries.delete(key)
    this.#entries.set(key, { data, expiresAtMs: this.#now() + ttlMs })
    this.#sweep()
    return Promise.resolve()
  }

  /** Replaces `key` only if it is still held and unexpired. */
  update(key: string, data: string, ttlMs: number): Promise<boolean> {
    requireTtl(ttlMs)
    if (this.#live(key) === undefined) return Promise.resolve(false)
    return this.save(key, data, ttlMs).then(() => true)
  }

  /** Removes `key`. */
  delete(key: string): Promise<void> {
    this.#entries.delete(key)
    return Promise.resolve()
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key)
    if (entry !== undefined && entry.expiresAtMs <= this.#now()) {
      this.#entries.delete(key)
      return undefined
    }
    return entry
  }

  #sweep(): void {
    // Entries are in save order, so expired ones gather at the front.
    const now = this.#now()
    let checked = 0
    for (const [key, entry] of this.#entries) {
      if (checked++ >= SWEEP_LIMIT || entry.expiresAtMs > now) break
      this.#entries.delete(key)
    }
    for (const key of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries) break
      this.#entries.delete(key)
    }
  }
}

function requireTtl(ttlMs: number): void {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new RangeError(
      `Session ttlMs must be a positive number of milliseconds; got ${JSON.stringify(ttlMs)}.`,
    )
  }
}

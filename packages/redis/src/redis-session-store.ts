import type { SessionStore } from '@node-channels/core'
import { RedisConnection } from './connection.js'
import { defaultLogger, type RedisLayerLogger } from './logger.js'
import { parsePubSubChannelLayerOptions, type ResolvedHost } from './options.js'

/** Options of `new RedisSessionStore()`. */
export interface RedisSessionStoreOptions {
  /** The Redis server (`redis://:password@host:port/db` or `rediss://`). @default 'redis://127.0.0.1:6379' */
  url?: string
  /** Prepended to every session key. @default 'node-channels:session:' */
  prefix?: string
  /** How long a first connection may take before an operation fails with `RedisConnectionError`. @default 5000 */
  connectTimeoutMs?: number
  /** How long a command may take before it fails with `RedisConnectionError`. @default 5000 */
  commandTimeoutMs?: number
  /** Where a lost connection is reported. @default warnings and errors to the console */
  logger?: RedisLayerLogger
}

/**
 * A `SessionStore` in Redis, shared by every process: each session is one string key
 * (`prefix` + session key) holding its JSON text, expiring with Redis' own `PX` timer.
 * `update()` is atomic (`SET ... XX`), so a session deleted elsewhere (a logout) is never
 * brought back. While Redis is unreachable, operations fail at once with
 * `RedisConnectionError` and the store reconnects in the background. Mirrors Django's
 * `cache` session backend over django-redis.
 *
 * @example
 * const store = new RedisSessionStore({ url: process.env.REDIS_URL })
 * const app = AuthMiddlewareStack(router, { secret, store, loadUser })
 * // on shutdown
 * await store.close()
 */
export class RedisSessionStore implements SessionStore {
  readonly #connection: RedisConnection
  readonly #prefix: string

  constructor(options: RedisSessionStoreOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(
        `RedisSessionStore options must be an object, not ${JSON.stringify(options)}.`,
      )
    }
    const {
      url = 'redis://127.0.0.1:6379',
      prefix = 'node-channels:session:',
      connectTimeoutMs = 5000,
      commandTimeoutMs = 5000,
      logger = defaultLogger,
    } = options
    if (typeof prefix !== 'string') {
      throw new TypeError(
        `RedisSessionStore prefix must be a string, not ${JSON.stringify(prefix)}.`,
      )
    }
    for (const [name, value] of [
      ['connectTimeoutMs', connectTimeoutMs],
      ['commandTimeoutMs', commandTimeoutMs],
    ] as const) {
      if (!Number.isSafeInteger(value) || value <= 0) {
        throw new RangeError(
          `RedisSessionStore ${name} must be a positive integer of milliseconds, not ${JSON.stringify(value)}.`,
        )
      }
    }
    this.#prefix = prefix
    this.#connection = new RedisConnection({
      host: resolveUrl(url),
      name: 'node-channels:sessions',
      connectTimeoutMs,
      commandTimeoutMs,
      logger,
    })
  }

  /** Returns the JSON text saved under `key`, or `null` when there is none (or it expired). Throws a TypeError for a key that is not a non-empty string. */
  load(key: string): Promise<string | null> {
    const redisKey = this.#key(key)
    return this.#connection.run((client) => client.get(redisKey))
  }

  /** Saves `data` under `key` for `ttlMs` (`SET key data PX ttl`). */
  save(key: string, data: string, ttlMs: number): Promise<void> {
    const redisKey = this.#key(key)
    const text = requireData(data)
    const px = requireTtl(ttlMs)
    return this.#connection
      .run((client) => client.set(redisKey, text, 'PX', px))
      .then(() => undefined)
  }

  /** Replaces `key` only if it still exists (`SET key data PX ttl XX`); reports whether it did. */
  update(key: string, data: string, ttlMs: number): Promise<boolean> {
    const redisKey = this.#key(key)
    const text = requireData(data)
    const px = requireTtl(ttlMs)
    return this.#connection
      .run((client) => client.set(redisKey, text, 'PX', px, 'XX'))
      .then((reply) => reply === 'OK')
  }

  /** Removes `key`; removing a missing key is not an error. */
  delete(key: string): Promise<void> {
    const redisKey = this.#key(key)
    return this.#connection.run((client) => client.del(redisKey)).then(() => undefined)
  }

  /** Closes the connection; later operations fail with `RedisConnectionError`. */
  close(): Promise<void> {
    return this.#connection.close()
  }

  #key(key: string): string {
    if (typeof key !== 'string' || key === '') {
      throw new TypeError(`A session key must be a non-empty string, not ${JSON.stringify(key)}.`)
    }
    return this.#prefix + key
  }
}

/** The `PX` value for a TTL: whole milliseconds, rounded up so that a TTL never shrinks to 0. */
function requireTtl(ttlMs: number): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new RangeError(
      `Session ttlMs must be a positive number of milliseconds; got ${JSON.stringify(ttlMs)}.`,
    )
  }
  return Math.ceil(ttlMs)
}

function requireData(data: string): string {
  if (typeof data !== 'string') {
    throw new TypeError(`Session data must be JSON text (a string), not ${typeof data}.`)
  }
  return data
}

/** The layers' URL parsing (same forms, same errors), reworded for the store. */
function resolveUrl(url: string): ResolvedHost {
  try {
    const [host] = parsePubSubChannelLayerOptions({ hosts: url }).hosts
    if (host !== undefined) return host
  } catch (error) {
    const reason = /✖ (.*)/.exec((error as Error).message)?.[1] ?? (error as Error).message
    throw new TypeError(`Invalid RedisSessionStore url: ${reason}`)
  }
  throw new TypeError(`Invalid RedisSessionStore url: ${JSON.stringify(url)}`)
}

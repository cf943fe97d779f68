import { Redis } from 'ioredis'
import { HISTORY_SIZE, type HistoryStore, positiveInteger } from './history.js'
import { type ChatEntry, chatEntrySchema } from './protocol.js'

/** Options of `new RedisHistoryStore()`. */
export interface RedisHistoryStoreOptions {
  /** Prepended to every key. @default 'chat:' */
  prefix?: string
  /** Messages kept per room. @default 50 */
  size?: number
  /** A room's history is dropped this long after its last message. @default 604800000 (7 days) */
  expiryMs?: number
}

/**
 * Keeps each room's last messages in a Redis list (`<prefix>history:<group>`, newest last),
 * so every server process on the same Redis shows the same history. The store uses the given
 * client and closes it in `close()`. Entries that do not parse are skipped when read.
 */
export class RedisHistoryStore implements HistoryStore {
  readonly #redis: Redis
  readonly #prefix: string
  readonly #size: number
  readonly #expiryMs: number

  constructor(redis: Redis, options: RedisHistoryStoreOptions = {}) {
    this.#redis = redis
    this.#prefix = options.prefix ?? 'chat:'
    this.#size = positiveInteger(options.size ?? HISTORY_SIZE, 'size')
    this.#expiryMs = positiveInteger(options.expiryMs ?? 7 * 24 * 60 * 60 * 1000, 'expiryMs')
  }

  async append(group: string, entry: ChatEntry): Promise<void> {
    const key = this.#key(group)
    // One transaction: the list never holds more than `size` entries, and always expires.
    const results = await this.#redis
      .multi()
      .rpush(key, JSON.stringify(entry))
      .ltrim(key, -this.#size, -1)
      .pexpire(key, this.#expiryMs)
      .exec()
    const failed = results?.find(([error]) => error !== null)
    if (failed) throw failed[0]
  }

  async recent(group: string): Promise<ChatEntry[]> {
    const raw = await this.#redis.lrange(this.#key(group), -this.#size, -1)
    const entries: ChatEntry[] = []
    for (const text of raw) {
      const parsed = chatEntrySchema.safeParse(parseJson(text))
      if (parsed.success) entries.push(parsed.data)
    }
    return entries
  }

  async close(): Promise<void> {
    if (this.#redis.status === 'end') return
    try {
      await this.#redis.quit()
    } catch {
      // Already disconnected: nothing left to close gracefully.
      this.#redis.disconnect()
    }
  }

  #key(group: string): string {
    return `${this.#prefix}history:${group}`
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Where `connectRedisHistory()` reports a lost connection. */
export interface RedisHistoryLogger {
  warn(message: string): void
}

/**
 * A `RedisHistoryStore` on the Redis that a channel-layer URL names (`redis://host:port/db`,
 * with `?db=` and the layer's other query parameters ignored but `prefix`, which becomes the
 * key prefix `<prefix>:chat:`). Commands time out after 2 s while Redis is down, so a join
 * or a message never hangs; the client reconnects in the background.
 */
export function connectRedisHistory(
  url: string,
  logger: RedisHistoryLogger = console,
): RedisHistoryStore {
  const parsed = new URL(url)
  const prefix = parsed.searchParams.get('prefix') ?? 'asgi'
  const db = parsed.searchParams.get('db')
  parsed.search = ''
  const redis = new Redis(parsed.href, {
    ...(db === null ? {} : { db: Number(db) }),
    connectionName: 'node-channels-chat:history',
    maxRetriesPerRequest: 1,
    commandTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  })
  let reported = false
  redis.on('error', (error: Error) => {
    if (!reported)
      logger.warn(`Chat history: Redis at ${parsed.host} is unavailable (${error.message}).`)
    reported = true
  })
  redis.on('ready', () => {
    reported = false
  })
  return new RedisHistoryStore(redis, { prefix: `${prefix}:chat:` })
}

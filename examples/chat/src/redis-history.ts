import type { Redis } from 'ioredis'
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

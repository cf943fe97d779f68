import type { ChatEntry } from './protocol.js'

/** How many messages a room keeps and a joiner is shown. */
export const HISTORY_SIZE = 50

/** Where a room's recent messages live. Keys are room group names. */
export interface HistoryStore {
  /** Stores a message, keeping only the room's newest `size` messages. */
  append(group: string, entry: ChatEntry): Promise<void>
  /** The room's newest messages (at most `size`), oldest first. */
  recent(group: string): Promise<ChatEntry[]>
  /** Releases what the store holds open (connections, timers). */
  close(): Promise<void>
}

/** Options of `new InMemoryHistoryStore()`. */
export interface InMemoryHistoryStoreOptions {
  /** Messages kept per room. @default 50 */
  size?: number
  /** Rooms kept; the least recently used room is forgotten past it. @default 1000 */
  maxRooms?: number
}

/**
 * The default history store: each room's last messages in this process's memory, bounded in
 * messages per room and in rooms. Lost on restart and not shared between processes (use
 * `RedisHistoryStore` for that).
 */
export class InMemoryHistoryStore implements HistoryStore {
  readonly #size: number
  readonly #maxRooms: number
  /** Map order is recency order: a touched room is moved to the end. */
  readonly #rooms = new Map<string, ChatEntry[]>()

  constructor(options: InMemoryHistoryStoreOptions = {}) {
    this.#size = positiveInteger(options.size ?? HISTORY_SIZE, 'size')
    this.#maxRooms = positiveInteger(options.maxRooms ?? 1000, 'maxRooms')
  }

  async append(group: string, entry: ChatEntry): Promise<void> {
    const entries = this.#rooms.get(group) ?? []
    this.#rooms.delete(group)
    entries.push(entry)
    if (entries.length > this.#size) entries.splice(0, entries.length - this.#size)
    this.#rooms.set(group, entries)
    if (this.#rooms.size > this.#maxRooms) {
      const [oldest] = this.#rooms.keys()
      if (oldest !== undefined) this.#rooms.delete(oldest)
    }
  }

  async recent(group: string): Promise<ChatEntry[]> {
    return [...(this.#rooms.get(group) ?? [])]
  }

  async close(): Promise<void> {
    this.#rooms.clear()
  }
}

/** Checks a size option: a positive integer, else a RangeError naming it. */
export function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `The ${name} option must be a positive integer, not ${JSON.stringify(value)}.`,
    )
  }
  return value
}

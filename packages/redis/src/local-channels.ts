import type { Message } from '@node-channels/core'

/** How a `LocalChannels` table bounds what it holds. */
export interface LocalChannelsOptions {
  /** Messages buffered per channel; beyond it new messages are dropped, as a full channel refuses them. */
  capacity: number
  /** A channel nobody has waited on for this long is forgotten, with its buffer. */
  idleMs: number
  /** Groups channels that share one Redis queue (the non-local name), to count their waiters. */
  keyOf(channel: string): string
  /** Called when a channel starts dropping messages because nobody reads it (once until it is read again). */
  onOverflow(channel: string): void
  /** Called when an idle channel is forgotten (the pub/sub layer unsubscribes it). */
  onRelease(channel: string): void
}

interface Entry {
  message: Message
  expiresAt: number
}

interface Waiter {
  resolve(message: Message): void
  reject(reason: unknown): void
}

class LocalChannel {
  readonly items: Entry[] = []
  readonly waiters: Waiter[] = []
  lastUsedAt = Date.now()
  overflowing = false
}

/**
 * The process-side half of a Redis layer: one buffer and one list of waiting receivers per
 * channel, fed by the layer's receive loop or pub/sub subscriber. Mirrors channels_redis'
 * `receive_buffer`, with expiry so channels of finished consumers do not pile up.
 */
export class LocalChannels {
  readonly #options: LocalChannelsOptions
  readonly #channels = new Map<string, LocalChannel>()
  readonly #waitersByKey = new Map<string, number>()
  #nextSweepAt = 0

  constructor(options: LocalChannelsOptions) {
    this.#options = options
  }

  /** True if the channel is known here (opened, waited on, or holding messages). */
  has(channel: string): boolean {
    return this.#channels.has(channel)
  }

  /** The channels known here. */
  names(): IterableIterator<string> {
    return this.#channels.keys()
  }

  /** Makes a channel known, so messages for it are kept until it is received from. */
  open(channel: string): void {
    this.#get(channel)
  }

  /** Receivers waiting on channels that share `key`'s Redis queue. */
  waitingOn(key: string): number {
    return this.#waitersByKey.get(key) ?? 0
  }

  /** Hands a message to the first waiting receiver, or buffers it until `expiresAt` (epoch ms). */
  deliver(channel: string, message: Message, expiresAt: number): void {
    this.#maybeSweep()
    const local = this.#get(channel)
    const waiter = local.waiters.shift()
    if (waiter) {
      this.#countWaiter(channel, -1)
      waiter.resolve(message)
      return
    }
    // channels_redis' BoundedQueue drops the oldest instead; dropping the newest keeps a full
    // channel's contents stable, as a full queue refuses sends and group sends skip it.
    if (local.items.length >= this.#options.capacity) {
      if (!local.overflowing) this.#options.onOverflow(channel)
      local.overflowing = true
      return
    }
    local.items.push({ message, expiresAt })
  }

  /** Waits for the next message on a channel; aborting the signal rejects with its reason. */
  take(channel: string, signal?: AbortSignal): Promise<Message> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    this.#maybeSweep()
    const local = this.#get(channel)
    const now = Date.now()
    local.lastUsedAt = now
    local.overflowing = false
    for (let entry = local.items.shift(); entry; entry = local.items.shift()) {
      if (entry.expiresAt >= now) return Promise.resolve(entry.message)
    }
    return new Promise<Message>((resolve, reject) => {
      const onAbort = () => {
        const index = local.waiters.indexOf(waiter)
        if (index !== -1) {
          local.waiters.splice(index, 1)
          this.#countWaiter(channel, -1)
        }
        local.lastUsedAt = Date.now()
        reject(signal?.reason)
      }
      const waiter: Waiter = {
        resolve: (message) => {
          signal?.removeEventListener('abort', onAbort)
          local.lastUsedAt = Date.now()
          resolve(message)
        },
        reject: (reason) => {
          signal?.removeEventListener('abort', onAbort)
          reject(reason)
        },
      }
      local.waiters.push(waiter)
      this.#countWaiter(channel, 1)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** Drops every buffered message; waiting receivers keep waiting (as after Channels' `flush`). */
  clear(): void {
    for (const [name, local] of this.#channels) {
      local.items.length = 0
      if (local.waiters.length === 0) this.#forget(name)
    }
  }

  /** Rejects every waiting receiver and forgets every channel (on close). */
  rejectAll(reason: unknown): void {
    for (const local of this.#channels.values()) {
      for (const waiter of local.waiters.splice(0)) waiter.reject(reason)
    }
    this.#channels.clear()
    this.#waitersByKey.clear()
  }

  #get(channel: string): LocalChannel {
    let local = this.#channels.get(channel)
    if (!local) {
      local = new LocalChannel()
      this.#channels.set(channel, local)
    }
    return local
  }

  #countWaiter(channel: string, delta: number): void {
    const key = this.#options.keyOf(channel)
    const count = (this.#waitersByKey.get(key) ?? 0) + delta
    if (count > 0) this.#waitersByKey.set(key, count)
    else this.#waitersByKey.delete(key)
  }

  /** At most every tenth of `idleMs`: drop expired messages and forget idle channels. */
  #maybeSweep(): void {
    const now = Date.now()
    if (now < this.#nextSweepAt) return
    this.#nextSweepAt = now + Math.max(this.#options.idleMs / 10, 100)
    for (const [name, local] of this.#channels) {
      while (local.items.length > 0 && (local.items[0]?.expiresAt ?? now) < now) local.items.shift()
      if (
        local.waiters.length === 0 &&
        local.items.length === 0 &&
        now - local.lastUsedAt > this.#options.idleMs
      ) {
        this.#forget(name)
      }
    }
  }

  #forget(channel: string): void {
    this.#channels.delete(channel)
    this.#options.onRelease(channel)
  }
}

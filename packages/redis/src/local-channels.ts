import type { Message, RelayMemo } from '@node-channels/core'
import type { GroupDelivery } from './group-delivery.js'

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

/** How many receivers wait on the channels of one Redis queue; shared by those channels' entries. */
interface WaiterCount {
  count: number
  /** How many known channels share this queue; the count is forgotten with the last of them. */
  channels: number
}

/**
 * A long-lived reader of one channel: each `takeInto()` hands it one message through
 * `deliver()`, or an error through `fail()`. The shape of core's `ChannelReceiver`, which the
 * consumers' mailbox passes to a layer's `receiveInto()`. Both are called synchronously and
 * must not throw.
 */
export interface LocalReceiver {
  deliver(message: Message): void
  fail(reason: unknown): void
  /** Offered a group message instead of a copy: true when it relayed it and still waits (core's `ChannelReceiver.relay`). */
  relay?(memo: RelayMemo): boolean
}

/**
 * The pending `take()`s of one abort signal, with the one 'abort' listener they share while
 * any of them waits: it is removed with the last of them, so a signal that outlives its
 * receives (an `AbortSignal.timeout()` is kept alive by its listeners) holds on to nothing.
 */
class SignalWatch {
  readonly signal: AbortSignal
  readonly waiters = new Set<PromiseWaiter>()
  readonly #onAbort: () => void
  readonly #forget: (watch: SignalWatch) => void

  constructor(
    signal: AbortSignal,
    abort: (waiter: PromiseWaiter) => void,
    forget: (watch: SignalWatch) => void,
  ) {
    this.signal = signal
    this.#forget = forget
    this.#onAbort = () => {
      forget(this)
      for (const waiter of [...this.waiters]) abort(waiter)
    }
    signal.addEventListener('abort', this.#onAbort, { once: true })
  }

  /** Stops watching for `waiter`, and for the signal once nobody waits on it. */
  remove(waiter: PromiseWaiter): void {
    if (!this.waiters.delete(waiter) || this.waiters.size > 0) return
    this.signal.removeEventListener('abort', this.#onAbort)
    this.#forget(this)
  }
}

/** A pending `take()`: a promise settled once, by a message, an abort or `rejectAll()`. */
class PromiseWaiter implements LocalReceiver {
  readonly local: LocalChannel
  readonly #resolve: (message: Message) => void
  readonly #reject: (reason: unknown) => void
  readonly #watch: SignalWatch | null

  constructor(
    local: LocalChannel,
    resolve: (message: Message) => void,
    reject: (reason: unknown) => void,
    watch: SignalWatch | null,
  ) {
    this.local = local
    this.#resolve = resolve
    this.#reject = reject
    this.#watch = watch
    watch?.waiters.add(this)
  }

  deliver(message: Message): void {
    this.#watch?.remove(this)
    this.#resolve(message)
  }

  fail(reason: unknown): void {
    this.#watch?.remove(this)
    this.#reject(reason)
  }
}

class LocalChannel {
  readonly items: Entry[] = []
  readonly waiters: LocalReceiver[] = []
  readonly waiting: WaiterCount
  lastUsedAt = Date.now()
  overflowing = false

  constructor(waiting: WaiterCount) {
    this.waiting = waiting
  }
}

/**
 * The process-side half of a Redis layer: one buffer and one list of waiting receivers per
 * channel, fed by the layer's receive loop or pub/sub subscriber. Mirrors channels_redis'
 * `receive_buffer`, with expiry so channels of finished consumers do not pile up.
 */
export class LocalChannels {
  readonly #options: LocalChannelsOptions
  readonly #channels = new Map<string, LocalChannel>()
  readonly #waitersByKey = new Map<string, WaiterCount>()
  /** The pending waiters of each abort signal: one 'abort' listener serves all of a signal's receives. */
  readonly #watched = new WeakMap<AbortSignal, SignalWatch>()
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
    return this.#waitersByKey.get(key)?.count ?? 0
  }

  /**
   * Hands a message to the first waiting receiver, or buffers it until `expiresAt` (epoch ms).
   * `now` (epoch ms) may be given by a caller delivering one message to many channels.
   */
  deliver(channel: string, message: Message, expiresAt: number, now: number = Date.now()): void {
    this.#maybeSweep(now)
    this.#deliverTo(this.#get(channel), channel, message, null, expiresAt, now)
  }

  /**
   * `deliver()` of one group message to one member: a waiting receiver that relays it takes
   * nothing more; any other gets `group.nextCopy()`. With `onlyKnown`, a channel not known
   * here gets nothing, and false is returned.
   */
  deliverToMember(
    channel: string,
    group: GroupDelivery,
    expiresAt: number,
    now: number,
    onlyKnown: boolean,
  ): boolean {
    this.#maybeSweep(now)
    const local = onlyKnown ? this.#channels.get(channel) : this.#get(channel)
    if (local === undefined) return false
    this.#deliverTo(local, channel, null, group, expiresAt, now)
    return true
  }

  /** Delivers `message`, or (when it is null) `group`'s relay or next copy. */
  #deliverTo(
    local: LocalChannel,
    channel: string,
    message: Message | null,
    group: GroupDelivery | null,
    expiresAt: number,
    now: number,
  ): void {
    const waiter = local.waiters[0]
    if (waiter !== undefined) {
      local.lastUsedAt = now
      if (group !== null && waiter.relay?.(group.memo) === true) return
      local.waiters.shift()
      local.waiting.count--
      waiter.deliver(message ?? (group as GroupDelivery).nextCopy())
      return
    }
    // channels_redis' BoundedQueue drops the oldest instead; dropping the newest keeps a full
    // channel's contents stable, as a full queue refuses sends and group sends skip it.
    if (local.items.length >= this.#options.capacity) {
      if (!local.overflowing) this.#options.onOverflow(channel)
      local.overflowing = true
      return
    }
    local.items.push({ message: message ?? (group as GroupDelivery).nextCopy(), expiresAt })
  }

  /** Waits for the next message on a channel; aborting the signal rejects with its reason. */
  take(channel: string, signal?: AbortSignal): Promise<Message> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    const local = this.#open(channel)
    const message = this.#next(local)
    if (message !== undefined) return Promise.resolve(message)
    return new Promise<Message>((resolve, reject) => {
      const watch = signal ? this.#watch(signal) : null
      local.waiters.push(new PromiseWaiter(local, resolve, reject, watch))
      local.waiting.count++
    })
  }

  /**
   * Hands the next message on a channel to `receiver.deliver()`: before returning when one is
   * buffered, else when one arrives. One call, one message; `cancel()` withdraws it.
   */
  takeInto(channel: string, receiver: LocalReceiver): void {
    const local = this.#open(channel)
    const message = this.#next(local)
    if (message !== undefined) {
      receiver.deliver(message)
      return
    }
    local.waiters.push(receiver)
    local.waiting.count++
  }

  /** Withdraws a receiver still waiting on a channel through `takeInto()`; returns whether it was. */
  cancel(channel: string, receiver: LocalReceiver): boolean {
    const local = this.#channels.get(channel)
    if (!local) return false
    const index = local.waiters.indexOf(receiver)
    if (index === -1) return false
    local.waiters.splice(index, 1)
    local.waiting.count--
    local.lastUsedAt = Date.now()
    return true
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
      for (const waiter of local.waiters.splice(0)) waiter.fail(reason)
      local.waiting.count = 0
    }
    this.#channels.clear()
    this.#waitersByKey.clear()
  }

  /** A channel's entry, marked as read from now. */
  #open(channel: string): LocalChannel {
    const now = Date.now()
    this.#maybeSweep(now)
    const local = this.#get(channel)
    local.lastUsedAt = now
    local.overflowing = false
    return local
  }

  /** The oldest buffered message that has not expired, if any. */
  #next(local: LocalChannel): Message | undefined {
    const now = local.lastUsedAt
    for (let entry = local.items.shift(); entry; entry = local.items.shift()) {
      if (entry.expiresAt >= now) return entry.message
    }
    return undefined
  }

  /** The watch of `signal`, with its 'abort' listener, made on its first pending receive. */
  #watch(signal: AbortSignal): SignalWatch {
    let watch = this.#watched.get(signal)
    if (watch === undefined) {
      watch = new SignalWatch(
        signal,
        (waiter) => this.#abort(waiter, signal.reason),
        (done) => {
          if (this.#watched.get(done.signal) === done) this.#watched.delete(done.signal)
        },
      )
      this.#watched.set(signal, watch)
    }
    return watch
  }

  /** Removes an aborted waiter from its channel, leaving the next message for the next receiver. */
  #abort(waiter: PromiseWaiter, reason: unknown): void {
    const { local } = waiter
    const index = local.waiters.indexOf(waiter)
    if (index !== -1) {
      local.waiters.splice(index, 1)
      local.waiting.count--
    }
    local.lastUsedAt = Date.now()
    waiter.fail(reason)
  }

  #get(channel: string): LocalChannel {
    let local = this.#channels.get(channel)
    if (!local) {
      const key = this.#options.keyOf(channel)
      let waiting = this.#waitersByKey.get(key)
      if (!waiting) {
        waiting = { count: 0, channels: 0 }
        this.#waitersByKey.set(key, waiting)
      }
      waiting.channels++
      local = new LocalChannel(waiting)
      this.#channels.set(channel, local)
    }
    return local
  }

  /** At most every tenth of `idleMs`: drop expired messages and forget idle channels. */
  #maybeSweep(now: number): void {
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
    const local = this.#channels.get(channel)
    if (!local) return
    this.#channels.delete(channel)
    if (--local.waiting.channels === 0) this.#waitersByKey.delete(this.#options.keyOf(channel))
    this.#options.onRelease(channel)
  }
}

import type { ChannelLayer, ChannelReceiver, ReceiveOptions } from '../channel-layer.js'
import { ChannelFull, InvalidChannelLayerError } from '../errors.js'
import { RelayMemo } from '../relay.js'
import type { Message } from '../types.js'
import { callbackNow } from './callback-clock.js'
import { CapacityTable, type ChannelCapacity } from './capacity.js'
import { checkInMemoryOptions } from './in-memory-options.js'
import { copyAgain, copyKindOf, copyMessage, requireLayerMessage } from './message.js'
import { requireValidChannelName, requireValidGroupName } from './names.js'
import { randomLetters } from './random-letters.js'

/** Options of `new InMemoryChannelLayer()`. Mirrors `InMemoryChannelLayer(expiry, group_expiry, capacity, channel_capacity)`. */
export interface InMemoryChannelLayerOptions {
  /** How long an unread message lives. @default 60_000 */
  expiryMs?: number
  /** How long a group membership lives after its last `groupAdd`. @default 86_400_000 */
  groupExpiryMs?: number
  /** Messages a channel holds before `send()` throws `ChannelFull`. @default 100 */
  capacity?: number
  /** Per-channel capacities by glob pattern or RegExp; the first match wins. */
  channelCapacity?: ChannelCapacity
}

/**
 * A read-ahead message this close to the layer's first expiry is checked against the time
 * itself; further off, against the callback's reading (see `receiveInto`).
 */
const EXACT_EXPIRY_MS = 1000

/** A group's members as of one epoch: its channels, oldest member first, and their queues. */
interface Roster {
  readonly epoch: number
  readonly channels: readonly string[]
  readonly queues: readonly (ChannelQueue | undefined)[]
}

/**
 * One channel: queued messages, or receivers waiting for the next one. The lists are null
 * while empty: most channels only ever have their reader waiting, and an emptied array would
 * keep its spare room for as long as the channel lives.
 */
class ChannelQueue {
  /** Queued messages, oldest first. */
  messages: Message[] | null = null
  /**
   * When each queued message expires (`Date.now()` time), in the same order: numbers in an
   * array of their own are stored unboxed, where an entry object per message would be two
   * allocations (the object and the boxed time).
   */
  expiries: number[] | null = null
  /** Receivers waiting, oldest first (after `reader`, when it waits). */
  waiters: ChannelReceiver[] | null = null
  /** The receiver reading through `receiveInto()`: the channel stays open for it. */
  reader: ChannelReceiver | null = null
  /** Whether `reader` waits, ahead of `waiters` (a slot: no array for the common case). */
  readerWaits = false

  /** Messages queued. */
  get size(): number {
    return this.messages === null ? 0 : this.messages.length
  }

  /** When the oldest queued message expires, if one is queued. */
  get firstExpiry(): number | undefined {
    return this.expiries?.[0]
  }

  /** Queues a message that expires at `expiresAt`. */
  push(message: Message, expiresAt: number): void {
    if (this.messages === null || this.expiries === null) {
      this.messages = [message]
      this.expiries = [expiresAt]
    } else {
      this.messages.push(message)
      this.expiries.push(expiresAt)
    }
  }

  /** Takes the oldest queued message. */
  shift(): Message | undefined {
    const messages = this.messages
    if (messages === null) return undefined
    const message = messages.shift()
    this.expiries?.shift()
    if (messages.length === 0) this.clear()
    return message
  }

  /** Drops every queued message. */
  clear(): void {
    this.messages = null
    this.expiries = null
  }

  /** Queues a waiting receiver. */
  wait(receiver: ChannelReceiver): void {
    if (this.waiters === null) this.waiters = [receiver]
    else this.waiters.push(receiver)
  }

  /** Takes the oldest waiting receiver. */
  nextWaiter(): ChannelReceiver | undefined {
    const waiters = this.waiters
    if (waiters === null) return undefined
    const waiter = waiters.shift()
    if (waiters.length === 0) this.waiters = null
    return waiter
  }

  /** Withdraws a waiting receiver; false when it was not waiting. */
  withdraw(receiver: ChannelReceiver): boolean {
    if (this.waiters === null) return false
    const index = this.waiters.indexOf(receiver)
    if (index === -1) return false
    this.waiters.splice(index, 1)
    if (this.waiters.length === 0) this.waiters = null
    return true
  }
}

/**
 * A channel layer inside one process: for development, tests and single-process servers.
 * Mirrors `channels.layers.InMemoryChannelLayer`, with its expiry, capacity and group rules.
 *
 * Every receiver gets its own deep copy of a message, never the sender's object nor another
 * receiver's: `groupSend()` checks and copies it once with `structuredClone`, then copies
 * that for each further member, with a spread or a plain recursive copy when the message
 * holds only primitives, plain objects and arrays (the common case), else `structuredClone`.
 */
export class InMemoryChannelLayer implements ChannelLayer {
  readonly extensions: readonly string[] = ['groups', 'flush']
  /** How long an unread message lives, in milliseconds. */
  readonly expiryMs: number
  /** How long a group membership lives, in milliseconds. */
  readonly groupExpiryMs: number
  /** The default per-channel capacity. */
  readonly capacity: number
  readonly #capacities: CapacityTable
  #channels = new Map<string, ChannelQueue>()
  #groups = new Map<string, Map<string, number>>()
  /** Each group's roster as of its last send (see `#rosterOf`), by its members map. */
  #rosters = new WeakMap<Map<string, number>, Roster>()
  /** Counts changes to the channel table and to memberships: a roster of an older epoch is stale. */
  #epoch = 0
  /** The earliest time a queued message or a group membership can expire: cleaning before it is useless. */
  #nextExpiryAt = Number.POSITIVE_INFINITY
  #closed = false

  constructor(options: InMemoryChannelLayerOptions = {}) {
    checkInMemoryOptions(options)
    this.expiryMs = options.expiryMs ?? 60_000
    this.groupExpiryMs = options.groupExpiryMs ?? 86_400_000
    this.capacity = options.capacity ?? 100
    this.#capacities = new CapacityTable(this.capacity, options.channelCapacity)
  }

  /** The channels that currently hold messages or receivers, for inspection in tests. */
  get channels(): ReadonlyMap<string, { readonly size: number }> {
    return new Map([...this.#channels].map(([name, queue]) => [name, { size: queue.size }]))
  }

  /** Group memberships (group -> channel names), for inspection in tests. */
  get groups(): ReadonlyMap<string, readonly string[]> {
    return new Map([...this.#groups].map(([name, members]) => [name, [...members.keys()]]))
  }

  async send(channel: string, message: Message): Promise<void> {
    this.#assertOpen()
    requireLayerMessage(message)
    requireValidChannelName(channel)
    const copy = copyMessage(message)
    // Unlike Channels, send() drops expired messages first, so a channel whose receiver went
    // away is not reported full for ever by messages nobody can read any more.
    this.#cleanExpired()
    if (!this.#deliver(channel, copy, Date.now())) throw new ChannelFull(channel)
  }

  receive(channel: string, options: ReceiveOptions = {}): Promise<Message> {
    try {
      this.#assertOpen()
      requireValidChannelName(channel)
    } catch (error) {
      return Promise.reject(error)
    }
    const { signal } = options
    // An already-aborted receive must not take a message that its caller will never read.
    if (signal?.aborted) return Promise.reject(signal.reason)
    this.#cleanExpired()
    const queue = this.#channels.get(channel) ?? this.#openChannel(channel)
    const message = queue.shift()
    if (message !== undefined) {
      this.#releaseIfIdle(channel, queue)
      return Promise.resolve(message)
    }
    return new Promise<Message>((resolve, reject) => {
      const onAbort = () => {
        queue.withdraw(waiter)
        this.#releaseIfIdle(channel, queue)
        reject(signal?.reason)
      }
      const waiter: ChannelReceiver = {
        deliver: (message) => {
          signal?.removeEventListener('abort', onAbort)
          resolve(message)
        },
        fail: (reason) => {
          signal?.removeEventListener('abort', onAbort)
          reject(reason)
        },
      }
      queue.wait(waiter)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /**
   * The fast path of `receive()` for long-lived readers (the consumers use it): hands the
   * next message on `channel` to `receiver.deliver()`, at once when one is queued (before
   * this returns), else when one arrives; an error (a bad name, a closed layer) goes to
   * `receiver.fail()`. One call takes one message, like one `receive()`, without a promise
   * or an abort listener. The channel stays open between reads (even with nothing queued or
   * waiting) until `cancelReceive()`, which also withdraws the receiver if it is waiting.
   * Expiry is judged by the clock as read in this event-loop callback (`callbackNow`), and by
   * the time itself within EXACT_EXPIRY_MS of the layer's first expiry.
   */
  receiveInto(channel: string, receiver: ChannelReceiver): void {
    if (this.#closed) {
      receiver.fail(new InvalidChannelLayerError('The channel layer was closed.'))
      return
    }
    let queue = this.#channels.get(channel)
    if (queue === undefined) {
      // A channel in the table has a valid name: only a new one needs checking.
      try {
        requireValidChannelName(channel)
      } catch (error) {
        receiver.fail(error)
        return
      }
      queue = this.#openChannel(channel)
    }
    // Only a message about to be handed over must not have expired. Nothing has while the
    // callback's clock is more than EXACT_EXPIRY_MS short of the first expiry: the time is
    // read again only near it (so it is exact unless one callback has run for that long).
    if (queue.messages !== null && callbackNow() + EXACT_EXPIRY_MS >= this.#nextExpiryAt) {
      this.#cleanExpired()
      // Every message it held expired and nobody reads it yet: it was released meanwhile.
      if (this.#channels.get(channel) !== queue) queue = this.#openChannel(channel)
    }
    const message = queue.shift()
    if (message !== undefined) {
      if (!queue.readerWaits) queue.reader = receiver
      receiver.deliver(message)
    } else if (queue.readerWaits || queue.waiters !== null) {
      // Someone waits already: this receiver queues behind them.
      queue.wait(receiver)
    } else {
      queue.reader = receiver
      queue.readerWaits = true
    }
  }

  /**
   * Ends reading `channel` through `receiveInto()` (the abort of that fast path): withdraws
   * the receiver if it is waiting, and releases the channel when nothing else waits on it
   * or is queued there. Returns whether it was waiting; never throws, even once closed.
   */
  cancelReceive(channel: string, receiver: ChannelReceiver): boolean {
    const queue = this.#channels.get(channel)
    if (queue === undefined) return false
    let waited = false
    if (queue.reader === receiver) {
      waited = queue.readerWaits
      queue.reader = null
      queue.readerWaits = false
    }
    const withdrawn = queue.withdraw(receiver)
    this.#releaseIfIdle(channel, queue)
    return waited || withdrawn
  }

  async newChannel(prefix = 'specific.'): Promise<string> {
    this.#assertOpen()
    // join() makes one flat string; a template literal would keep a tree of its parts.
    const name = [prefix, '.inmemory!', randomLetters(12)].join('')
    return requireValidChannelName(name)
  }

  async groupAdd(group: string, channel: string): Promise<void> {
    this.#assertOpen()
    requireValidGroupName(group)
    requireValidChannelName(channel)
    let members = this.#groups.get(group)
    if (!members) {
      members = new Map()
      this.#groups.set(group, members)
    }
    // Re-adding refreshes the membership: delete first so iteration order stays "oldest first".
    members.delete(channel)
    this.#epoch += 1
    const now = Date.now()
    members.set(channel, now)
    this.#nextExpiryAt = Math.min(this.#nextExpiryAt, now + this.groupExpiryMs)
  }

  async groupDiscard(group: string, channel: string): Promise<void> {
    this.#assertOpen()
    requireValidChannelName(channel)
    requireValidGroupName(group)
    const members = this.#groups.get(group)
    if (!members) return
    if (members.delete(channel)) this.#epoch += 1
    if (members.size === 0) this.#groups.delete(group)
  }

  async groupSend(group: string, message: Message): Promise<void> {
    this.#assertOpen()
    requireLayerMessage(message)
    requireValidGroupName(group)
    // Check the message once, even for an empty group: a message that cannot be copied fails
    // the whole send, clearly, whoever happens to be a member.
    const first = copyMessage(message)
    this.#cleanExpired()
    const members = this.#groups.get(group)
    if (!members) return
    const now = Date.now()
    const kind = members.size > 1 ? copyKindOf(first) : 'clone'
    const { channels, queues } = this.#rosterOf(members)
    const epoch = this.#epoch
    const last = channels.length - 1
    let memo: RelayMemo | null = null
    for (let i = 0; i <= last; i++) {
      const channel = channels[i] as string
      // The roster's queue holds while no channel opened or closed since (a relay may have).
      const queue = this.#epoch === epoch ? queues[i] : this.#channels.get(channel)
      // A waiting consumer that relays this type sends it on without a copy of its own.
      const reader = queue?.reader
      if (reader?.relay !== undefined && queue?.readerWaits === true) {
        memo ??= new RelayMemo(first, (copy) => copyAgain(copy, kind))
        if (reader.relay(memo)) continue
      }
      // The first copy goes to the last member, once every other copy was made from it.
      const copy = i === last ? first : copyAgain(first, kind)
      // ChannelFull is never raised by groupSend: a full member simply misses the message.
      this.#deliver(channel, copy, now, queue)
    }
  }

  /**
   * A group's members and their channels' queues (undefined: none open), as arrays: built
   * again only once a channel opened or closed, or a membership changed, since the last
   * group send (a steady group's send then looks nothing up).
   */
  #rosterOf(members: Map<string, number>): Roster {
    const known = this.#rosters.get(members)
    if (known !== undefined && known.epoch === this.#epoch) return known
    const channels = [...members.keys()]
    const table = this.#channels
    const queues = channels.map((channel) => table.get(channel))
    const roster = { epoch: this.#epoch, channels, queues }
    this.#rosters.set(members, roster)
    return roster
  }

  async flush(): Promise<void> {
    // Receivers already waiting keep waiting on a fresh, empty channel.
    for (const [name, queue] of this.#channels) {
      queue.clear()
      if (queue.waiters === null && !queue.readerWaits) this.#channels.delete(name)
    }
    this.#groups = new Map()
    this.#epoch += 1
    this.#nextExpiryAt = Number.POSITIVE_INFINITY
  }

  async close(): Promise<void> {
    await this.flush()
    this.#closed = true
    const error = new InvalidChannelLayerError('The channel layer was closed.')
    for (const queue of this.#channels.values()) {
      const { reader } = queue
      if (reader !== null && queue.readerWaits) {
        queue.readerWaits = false
        reader.fail(error)
      }
      const waiters = queue.waiters ?? []
      queue.waiters = null
      for (const waiter of waiters) waiter.fail(error)
    }
    this.#channels = new Map()
    this.#epoch += 1
  }

  /** Hands a message to a waiting receiver or queues it (in `known`, the channel's queue when the caller has it); false when the channel is full. */
  #deliver(channel: string, message: Message, now: number, known?: ChannelQueue): boolean {
    const queue = known ?? this.#channels.get(channel) ?? this.#openChannel(channel)
    const { reader } = queue
    if (reader !== null && queue.readerWaits) {
      queue.readerWaits = false
      reader.deliver(message)
      return true
    }
    const waiter = queue.nextWaiter()
    if (waiter) {
      // The last waiter served leaves an idle channel: release it, as Channels' receive() does.
      this.#releaseIfIdle(channel, queue)
      waiter.deliver(message)
      return true
    }
    if (queue.size >= this.#capacities.get(channel)) return false
    const expiresAt = now + this.expiryMs
    queue.push(message, expiresAt)
    if (expiresAt < this.#nextExpiryAt) this.#nextExpiryAt = expiresAt
    return true
  }

  #openChannel(channel: string): ChannelQueue {
    const queue = new ChannelQueue()
    this.#channels.set(channel, queue)
    this.#epoch += 1
    return queue
  }

  #releaseIfIdle(channel: string, queue: ChannelQueue): void {
    if (
      queue.messages === null &&
      queue.waiters === null &&
      queue.reader === null &&
      this.#channels.get(channel) === queue
    ) {
      this.#channels.delete(channel)
      this.#epoch += 1
    }
  }

  /**
   * Drops expired messages (and, as the channel layer spec asks, the groups memberships of
   * their channels) and expired group memberships. Mirrors `InMemoryChannelLayer._clean_expired`,
   * but only walks the channels once something can actually have expired.
   */
  #cleanExpired(): void {
    const now = Date.now()
    if (now < this.#nextExpiryAt) return
    let next = Number.POSITIVE_INFINITY
    for (const [name, queue] of this.#channels) {
      let expired = false
      while ((queue.firstExpiry ?? now) < now) {
        queue.shift()
        expired = true
      }
      if (expired) this.#removeFromGroups(name)
      const head = queue.firstExpiry
      if (head !== undefined) next = Math.min(next, head)
      this.#releaseIfIdle(name, queue)
    }
    const joinedBefore = now - this.groupExpiryMs
    for (const [group, members] of this.#groups) {
      for (const [channel, joinedAt] of members) {
        if (joinedAt < joinedBefore && members.delete(channel)) this.#epoch += 1
        else next = Math.min(next, joinedAt + this.groupExpiryMs)
      }
      // Unlike Channels, a group emptied by expiry is removed too, so groups never leak.
      if (members.size === 0) this.#groups.delete(group)
    }
    this.#nextExpiryAt = next
  }

  #removeFromGroups(channel: string): void {
    for (const [group, members] of this.#groups) {
      if (!members.delete(channel)) continue
      this.#epoch += 1
      if (members.size === 0) this.#groups.delete(group)
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidChannelLayerError('The channel layer was closed.')
  }
}

import {
  CapacityTable,
  ChannelFull,
  type ChannelLayer,
  InvalidChannelLayerError,
  type Message,
  nonLocalName,
  type ReceiveOptions,
  randomLetters,
  requireLayerMessage,
  requireValidChannelName,
  requireValidGroupName,
} from '@node-channels/core'
import {
  type CheckedSend,
  checkedGroupSend,
  readGroupWithSnapshot,
  SNAPSHOT_MIN_MEMBERS,
  snapshotKey,
  snapshotsUnsupported,
} from './checked-group-send.js'
import { RedisConnection } from './connection.js'
import { GroupPlans, type PlannedQueue } from './group-plans.js'
import { LocalChannels, type LocalReceiver } from './local-channels.js'
import { FLUSH_SCRIPT, GROUP_SEND_SCRIPT, runScript, SEND_SCRIPT } from './lua.js'
import {
  parseRedisChannelLayerOptions,
  type RedisChannelLayerOptions,
  type ResolvedRedisChannelLayerOptions,
} from './options.js'
import { QueueDispatcher } from './queue-dispatch.js'
import { type QueueLoops, ReceiveLoops } from './receive-loops.js'
import { MessageSerializer } from './serializer.js'
import { consistentHash } from './sharding.js'

/** A channel received from here: the queue it is read from, and that queue's loops once started. */
interface Receivable {
  readonly queue: string
  loops: QueueLoops | null
}

/**
 * A channel layer on Redis sorted sets, byte-compatible with `channels_redis.core.RedisChannelLayer`
 * 4.x: Node and Django processes sharing a Redis (and `prefix`, hosts, keys) exchange messages and
 * groups both ways. Process-local channels (`specific.<client>!<id>`) share one Redis queue per
 * process, drained in batches by one receive loop per host into a local dispatch table; popped
 * messages pass through `<queue>$inflight` so a failure does not lose them. A group message is
 * decoded once per process. Keys are sharded over `hosts` as Python does.
 *
 * @example
 * setChannelLayer(new RedisChannelLayer({ hosts: 'redis://127.0.0.1:6379' }))
 */
export class RedisChannelLayer implements ChannelLayer {
  readonly extensions: readonly string[] = ['groups', 'flush']
  /** Prepended to every Redis key. */
  readonly prefix: string
  /** How long an unread message lives, in milliseconds. */
  readonly expiryMs: number
  /** How long a group membership lives after its last `groupAdd`, in milliseconds. */
  readonly groupExpiryMs: number
  /** The default per-channel capacity. */
  readonly capacity: number
  /**
   * This layer's identity inside its process-local channel names (`specific.<clientPrefix>!…`):
   * twelve random letters, where channels_redis takes a 32-digit UUID (see `newChannel`).
   */
  readonly clientPrefix: string = randomLetters(12)
  readonly #options: ResolvedRedisChannelLayerOptions
  readonly #capacities: CapacityTable
  /** The queues of recent group sends, reused while a group's members stay the same. */
  readonly #plans: GroupPlans
  readonly #serializer: MessageSerializer
  readonly #commands: RedisConnection[]
  readonly #local: LocalChannels
  readonly #loops: ReceiveLoops
  /** Channels received from here, checked, with the queue each is read from (saves the check per receive). */
  readonly #queues = new Map<string, Receivable>()
  /** The snapshot each kept plan (by its queues) was read with, for sends that skip the read. */
  readonly #snapshots = new WeakMap<Map<number, PlannedQueue[]>, string>()
  #snapshotCount = 0
  /** False once Redis refused a command snapshots need (before 7.0, or an ACL). */
  #snapshotsSupported = true
  #sendIndex = 0
  #lastScore = 0
  #closed = false

  constructor(options: RedisChannelLayerOptions = {}) {
    const resolved = parseRedisChannelLayerOptions(options)
    this.#options = resolved
    this.prefix = resolved.prefix
    this.expiryMs = resolved.expiryMs
    this.groupExpiryMs = resolved.groupExpiryMs
    this.capacity = resolved.capacity
    this.#capacities = new CapacityTable(resolved.capacity, resolved.channelCapacity)
    const capacities = this.#capacities
    // A group member's capacity; without `channelCapacity` patterns, the default without decoding the name.
    const capacityOf =
      Object.keys(resolved.channelCapacity).length === 0
        ? () => resolved.capacity
        : (member: Buffer) => capacities.get(member.toString())
    this.#plans = new GroupPlans(resolved.prefix, capacityOf, resolved.hosts.length)
    this.#serializer = new MessageSerializer({
      randomPrefixLength: resolved.randomPrefixLength,
      symmetricEncryptionKeys: resolved.symmetricEncryptionKeys,
      // channels_redis decrypts with ttl = expiry + 10 seconds.
      ttlSeconds: resolved.expiryMs / 1000 + 10,
      maxMessageBytes: resolved.maxMessageBytes,
    })
    this.#commands = resolved.hosts.map(
      (host) =>
        new RedisConnection({
          host,
          name: 'node-channels:command',
          connectTimeoutMs: resolved.connectTimeoutMs,
          commandTimeoutMs: resolved.commandTimeoutMs,
          logger: resolved.logger,
        }),
    )
    this.#local = new LocalChannels({
      capacity: resolved.capacity,
      idleMs: resolved.expiryMs,
      keyOf: nonLocalName,
      onOverflow: (channel) =>
        resolved.logger.warn(
          `Channel ${JSON.stringify(channel)} is not being received from: new messages for it are dropped until it is read.`,
        ),
      onRelease: (channel) => this.#queues.delete(channel),
    })
    this.#loops = new ReceiveLoops({
      prefix: resolved.prefix,
      hosts: resolved.hosts,
      connectTimeoutMs: resolved.connectTimeoutMs,
      inflightExpirySeconds: this.#expirySeconds(resolved.expiryMs),
      logger: resolved.logger,
      waitingOn: (queue) => this.#local.waitingOn(queue),
      dispatcher: new QueueDispatcher({
        serializer: this.#serializer,
        local: this.#local,
        expiryMs: resolved.expiryMs,
        logger: resolved.logger,
      }),
    })
  }

  /** Queues a message on a channel; throws `ChannelFull` at capacity. Mirrors `RedisChannelLayer.send`. */
  async send(channel: string, message: Message): Promise<void> {
    this.#assertOpen()
    requireLayerMessage(message)
    requireValidChannelName(channel)
    const local = channel.includes('!')
    const queue = nonLocalName(channel)
    // A process-local message carries its full channel name for the receiving process to dispatch on.
    const member = this.#serializer.serialize(
      local ? { ...message, __asgi_channel__: channel } : message,
      channel,
    )
    // channels_redis hashes the full name here (django/channels#1492), which puts the message on
    // a shard its receiver never reads; the non-local name is where receivers (ours and Python's) listen.
    const connection = local ? this.#commandsFor(queue) : this.#nextCommands()
    const key = this.prefix + queue
    const now = Date.now() / 1000
    const added = await connection.run((client) =>
      runScript(
        client,
        SEND_SCRIPT,
        [key],
        [
          now - this.expiryMs / 1000,
          this.#capacities.get(channel),
          this.#score(),
          member,
          this.#expirySeconds(this.expiryMs),
        ],
      ),
    )
    if (Number(added) !== 1) throw new ChannelFull(channel)
  }

  /**
   * Waits for the next message on a channel. Process-local channels must come from this layer's
   * `newChannel()`. Mirrors `RedisChannelLayer.receive`.
   */
  async receive(channel: string, options: ReceiveOptions = {}): Promise<Message> {
    this.#assertOpen()
    const receivable = this.#receivable(channel)
    const taken = this.#local.take(channel, options.signal)
    this.#ensureLoops(receivable)
    return taken
  }

  /**
   * The fast path of `receive()` for long-lived readers (the consumers' mailbox uses it, as
   * with the in-memory layer): hands the next message on `channel` to `receiver.deliver()`, at
   * once when one is buffered, else when one arrives; an error (a bad or foreign name, a closed
   * layer) goes to `receiver.fail()`. One call takes one message, without a promise or an abort
   * listener; `cancelReceive()` withdraws a receiver still waiting.
   */
  receiveInto(channel: string, receiver: LocalReceiver): void {
    let receivable: Receivable
    try {
      this.#assertOpen()
      receivable = this.#receivable(channel)
    } catch (error) {
      receiver.fail(error)
      return
    }
    this.#local.takeInto(channel, receiver)
    this.#ensureLoops(receivable)
  }

  /** Withdraws a receiver waiting through `receiveInto()`; returns whether it was waiting. Never throws. */
  cancelReceive(channel: string, receiver: LocalReceiver): boolean {
    return this.#local.cancel(channel, receiver)
  }

  /** Starts the loops of a channel's queue unless they were running at its last receive and still are. */
  #ensureLoops(receivable: Receivable): void {
    if (receivable.loops?.running) return
    receivable.loops = this.#loops.ensure(receivable.queue)
  }

  /** The queue `channel` is read from; throws TypeError for a bad name or another process's channel. */
  #receivable(channel: string): Receivable {
    const known = this.#queues.get(channel)
    if (known !== undefined) return known
    requireValidChannelName(channel)
    const queue = nonLocalName(channel)
    if (channel.includes('!') && !queue.endsWith(`${this.clientPrefix}!`)) {
      throw new TypeError(
        `Channel ${JSON.stringify(channel)} belongs to another process: only channels from this layer's newChannel() can be received from here.`,
      )
    }
    // Remembered while the local table knows the channel (its release forgets it here too).
    this.#local.open(channel)
    const receivable: Receivable = { queue, loops: null }
    this.#queues.set(channel, receivable)
    return receivable
  }

  /**
   * Returns a new process-local channel name, `specific.<clientPrefix>!<12 letters>` (34
   * characters). Mirrors `RedisChannelLayer.new_channel(prefix="specific")`, whose two UUIDs
   * make 74: a group message stored in Redis lists its members' names, so shorter names make
   * it about half as large and cost Redis less (docs/layers.md). Python processes send to
   * these names as to their own.
   */
  async newChannel(prefix = 'specific'): Promise<string> {
    this.#assertOpen()
    const name = requireValidChannelName(`${prefix}.${this.clientPrefix}!${randomLetters(12)}`)
    this.#local.open(name)
    return name
  }

  /** Adds a channel to a group, refreshing its membership. Mirrors `RedisChannelLayer.group_add`. */
  async groupAdd(group: string, channel: string): Promise<void> {
    this.#assertOpen()
    requireValidGroupName(group)
    requireValidChannelName(channel)
    const key = this.#groupKey(group)
    await this.#commandsFor(group).run((client) =>
      Promise.all([
        client.zadd(key, Date.now() / 1000, channel),
        client.expire(key, this.#expirySeconds(this.groupExpiryMs)),
      ]),
    )
  }

  /** Removes a channel from a group; a no-op when it is not a member. Mirrors `RedisChannelLayer.group_discard`. */
  async groupDiscard(group: string, channel: string): Promise<void> {
    this.#assertOpen()
    requireValidGroupName(group)
    requireValidChannelName(channel)
    const key = this.#groupKey(group)
    await this.#commandsFor(group).run((client) => client.zrem(key, channel))
  }

  /**
   * Sends a message to every member of a group: one Redis entry per member queue, listing its
   * channels in `__asgi_channel__`, added by channels_redis' Lua script. Full queues are skipped
   * and logged, never thrown. Mirrors `RedisChannelLayer.group_send`, which reads the group and
   * then stores (two round trips). A group whose last send here found `SNAPSHOT_MIN_MEMBERS`
   * or more is read with a snapshot of its members, and while the group has exactly those
   * members, checked in Redis, its next sends store without reading it: one round trip.
   */
  async groupSend(group: string, message: Message): Promise<void> {
    this.#assertOpen()
    requireLayerMessage(message)
    requireValidGroupName(group)
    const body = this.#serializer.encodeBody(message, group)
    const key = this.#groupKey(group)
    const now = Date.now() / 1000
    const groupCutoff = now - this.groupExpiryMs / 1000
    const cutoff = now - this.expiryMs / 1000
    const score = this.#score()
    const storeArgs = (queues: readonly PlannedQueue[]): (Buffer | number)[] => [
      ...queues.map(({ channels }) => this.#serializer.groupMember(body, channels, group)),
      ...queues.map(({ capacity }) => capacity),
      score,
      this.#expirySeconds(this.expiryMs),
    ]
    const groupShard = this.#shardOf(group)
    const commands = this.#commands[groupShard] as RedisConnection
    const known = this.#plans.known(group)
    const previous = known === undefined ? undefined : this.#snapshots.get(known.shards)
    // Only a plan whose queues all share the group's Redis can be checked and stored in one script.
    const knownQueues = known?.shards.size === 1 ? known.shards.get(groupShard) : undefined
    const snapshots =
      this.#snapshotsSupported &&
      knownQueues !== undefined &&
      (known?.members ?? 0) >= SNAPSHOT_MIN_MEMBERS
    if (snapshots && known !== undefined && previous !== undefined && knownQueues !== undefined) {
      const full = await this.#checkedSend(commands, {
        keys: { group: key, snapshot: previous, queues: knownQueues.map((queue) => queue.key) },
        members: known.members,
        groupCutoff,
        queueCutoff: cutoff,
        storeArgs: storeArgs(knownQueues),
      })
      if (full !== null) return this.#reportOverCapacity(full, known.members, group)
    }
    // Checked again: the check may have found that Redis lacks a command snapshots need.
    const snapshot =
      snapshots && this.#snapshotsSupported
        ? snapshotKey(this.prefix, this.clientPrefix, ++this.#snapshotCount, group)
        : null
    const read = await this.#readGroup(commands, key, groupCutoff, snapshot, previous)
    const shards = this.#plans.planFor(group, read.members)
    if (read.snapshot === null) this.#snapshots.delete(shards)
    else this.#snapshots.set(shards, read.snapshot)
    const overCapacity = await Promise.all(
      [...shards].map(([shard, queues]) => {
        const keys = queues.map((queue) => queue.key)
        const args = storeArgs(queues)
        return (this.#commands[shard] as RedisConnection).run(async (client) => {
          // Sent ahead of the script on the same connection, so they run first: no extra round trip.
          const trimmed = Promise.all(keys.map((key) => client.zremrangebyscore(key, 0, cutoff)))
          const [, full] = await Promise.all([
            trimmed,
            runScript(client, GROUP_SEND_SCRIPT, keys, args),
          ])
          return Number(full)
        })
      }),
    )
    const full = overCapacity.reduce((sum, count) => sum + count, 0)
    this.#reportOverCapacity(full, read.members.length, group)
  }

  /** `checkedGroupSend`, or null (nothing stored) when the group changed or Redis lacks its commands. */
  async #checkedSend(commands: RedisConnection, send: CheckedSend): Promise<number | null> {
    try {
      return await commands.run((client) => checkedGroupSend(client, send))
    } catch (error) {
      if (!snapshotsUnsupported(error)) throw error
      this.#noSnapshots(error as Error)
      return null
    }
  }

  /**
   * Reads a group's members for a send (trimming expired memberships first), copying them into
   * `snapshot` when one is given and Redis can; `snapshot` in the result is the one taken.
   */
  async #readGroup(
    commands: RedisConnection,
    key: string,
    cutoff: number,
    snapshot: string | null,
    previous: string | undefined,
  ): Promise<{ members: Buffer[]; snapshot: string | null }> {
    if (snapshot !== null) {
      try {
        const members = await commands.run((client) =>
          readGroupWithSnapshot(client, key, snapshot, previous, cutoff),
        )
        return { members, snapshot }
      } catch (error) {
        if (!snapshotsUnsupported(error)) throw error
        this.#noSnapshots(error as Error)
      }
    }
    const [, members] = await commands.run((client) =>
      Promise.all([
        client.zremrangebyscore(key, 0, cutoff),
        // As bytes: they go into `__asgi_channel__` as they are, without decoding and re-encoding.
        client.zrangeBuffer(key, 0, '-1'),
      ]),
    )
    return { members, snapshot: null }
  }

  /** Reads every group from now on: Redis lacks (or refuses) a command snapshots need. */
  #noSnapshots(error: Error): void {
    if (!this.#snapshotsSupported) return
    this.#snapshotsSupported = false
    this.#options.logger.info(
      `Group sends read the group every time: Redis refused a command they need (${error.message}).`,
    )
  }

  /** Logs how many of a group's channels a send found over capacity, if any. */
  #reportOverCapacity(full: number, members: number, group: string): void {
    if (full > 0) {
      this.#options.logger.info(`${full} of ${members} channels over capacity in group ${group}`)
    }
  }

  /** Deletes every key under this layer's prefix on every shard, Python's included. Mirrors `RedisChannelLayer.flush`. */
  async flush(): Promise<void> {
    this.#assertOpen()
    const pattern = `${this.prefix.replace(/[*?[\]\\]/g, '\\$&')}*`
    await Promise.all(
      this.#commands.map((connection) =>
        connection.run((client) => runScript(client, FLUSH_SCRIPT, [], [pattern])),
      ),
    )
    this.#local.clear()
  }

  /** Stops the receive loops, closes every connection and rejects waiting receivers. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#loops.close()
    await Promise.all(this.#commands.map((connection) => connection.close()))
    this.#local.rejectAll(new InvalidChannelLayerError('The channel layer was closed.'))
  }

  #commandsFor(name: string): RedisConnection {
    return this.#commands[this.#shardOf(name)] as RedisConnection
  }

  /** The shard a key name lives on, as channels_redis picks it. */
  #shardOf(name: string): number {
    return consistentHash(name, this.#commands.length)
  }

  /** Named channels are spread over the shards in turn. Mirrors `_send_index_generator`. */
  #nextCommands(): RedisConnection {
    const connection = this.#commands[this.#sendIndex] as RedisConnection
    this.#sendIndex = (this.#sendIndex + 1) % this.#commands.length
    return connection
  }

  #groupKey(group: string): string {
    return `${this.prefix}:group:${group}`
  }

  /**
   * Send time in float seconds, strictly increasing within the process. Sub-millisecond, as
   * Python's `time.time()` is: a Node and a Python process sending to one queue within the
   * same millisecond keep their order.
   */
  #score(): number {
    let score = wallClockSeconds()
    if (score <= this.#lastScore) score = this.#lastScore + 1e-6
    this.#lastScore = score
    return score
  }

  #expirySeconds(ms: number): number {
    return Math.max(1, Math.ceil(ms / 1000))
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidChannelLayerError('The channel layer was closed.')
  }
}

/**
 * The wall clock in float seconds with sub-millisecond digits: the high-resolution clock
 * (`performance.timeOrigin + performance.now()`) where it agrees with `Date.now()` to within a
 * millisecond, else `Date.now()` (the monotonic clock drifts from the wall clock over time).
 */
export function wallClockSeconds(): number {
  const wall = Date.now()
  const precise = performance.timeOrigin + performance.now()
  return (Math.abs(precise - wall) < 1 ? precise : wall) / 1000
}

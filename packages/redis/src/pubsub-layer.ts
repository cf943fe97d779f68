import { randomUUID } from 'node:crypto'
import {
  type ChannelLayer,
  InvalidChannelLayerError,
  type Message,
  type ReceiveOptions,
  requireLayerMessage,
  requireValidChannelName,
  requireValidGroupName,
} from '@node-channels/core'
import { z } from 'zod'
import { RedisConnection } from './connection.js'
import { GroupDelivery } from './group-delivery.js'
import { LocalChannels, type LocalReceiver } from './local-channels.js'
import {
  parsePubSubChannelLayerOptions,
  type RedisPubSubChannelLayerOptions,
  type ResolvedCommonOptions,
} from './options.js'
import { MessageSerializer } from './serializer.js'
import { consistentHash } from './sharding.js'
import { Subscriber } from './subscriber.js'

/** What a published payload must decode to; only used to word the warning for one that is not. */
const publishedMessage = z.looseObject({ type: z.string() })

/** The same check as `publishedMessage`, without building a copy of the message. */
function isMessage(value: unknown): value is Message {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { type?: unknown }).type === 'string'
  )
}

/**
 * A channel layer on Redis pub/sub, byte-compatible with `channels_redis.pubsub.RedisPubSubChannelLayer`:
 * a channel is a Redis pub/sub channel of the same name, a group is `<prefix>__group__<group>`,
 * payloads are bare msgpack (Fernet-wrapped with keys, as channels_redis ≥ 4.2.1 does). Nothing is
 * stored: a message reaches the processes subscribed when it is published, group membership
 * lives in each process, and messages published while Redis is unreachable are lost.
 * Subscriptions are renewed after a reconnection.
 */
export class RedisPubSubChannelLayer implements ChannelLayer {
  readonly extensions: readonly string[] = ['groups', 'flush']
  /** Prepended to group channel names and to `newChannel()` names. */
  readonly prefix: string
  /** Messages buffered per local channel before the oldest is dropped. */
  readonly capacity: number
  /** How long a buffered message, or a channel nobody receives from, is kept, in milliseconds. */
  readonly expiryMs: number
  readonly #options: ResolvedCommonOptions
  readonly #serializer: MessageSerializer
  readonly #publishers: RedisConnection[]
  readonly #subscribers: Subscriber[]
  readonly #local: LocalChannels
  /** Group pub/sub channel -> local member channels. Mirrors `RedisPubSubLoopLayer.groups`. */
  readonly #groups = new Map<string, Set<string>>()
  #closed = false

  constructor(options: RedisPubSubChannelLayerOptions = {}) {
    const resolved = parsePubSubChannelLayerOptions(options)
    this.#options = resolved
    this.prefix = resolved.prefix
    this.capacity = resolved.capacity
    this.expiryMs = resolved.expiryMs
    // channels_redis ≥ 4.2.1 decrypts pub/sub payloads with ttl=None.
    this.#serializer = new MessageSerializer({
      randomPrefixLength: 0,
      symmetricEncryptionKeys: resolved.symmetricEncryptionKeys,
      ttlSeconds: null,
      maxMessageBytes: resolved.maxMessageBytes,
    })
    const { connectTimeoutMs, commandTimeoutMs, logger } = resolved
    this.#publishers = resolved.hosts.map(
      (host) =>
        new RedisConnection({
          host,
          name: 'node-channels:publish',
          connectTimeoutMs,
          commandTimeoutMs,
          logger,
        }),
    )
    this.#subscribers = resolved.hosts.map(
      (host) =>
        new Subscriber({
          host,
          connectTimeoutMs,
          commandTimeoutMs,
          logger,
          onMessage: (channel, payload) => this.#dispatch(channel, payload),
        }),
    )
    this.#local = new LocalChannels({
      capacity: resolved.capacity,
      idleMs: resolved.expiryMs,
      keyOf: (channel) => channel,
      onOverflow: (channel) =>
        logger.warn(
          `Channel ${JSON.stringify(channel)} is not being received from: new messages for it are dropped until it is read.`,
        ),
      // A channel nobody received from for expiryMs stops being subscribed (Python unsubscribes at once).
      onRelease: (channel) => void this.#subscriberFor(channel).unsubscribe(channel),
    })
  }

  /** Publishes a message on a channel; it reaches whoever is subscribed now. Mirrors `RedisPubSubLoopLayer.send`. */
  async send(channel: string, message: Message): Promise<void> {
    this.#assertOpen()
    requireLayerMessage(message)
    requireValidChannelName(channel)
    await this.#publish(channel, this.#serializer.serialize(message, channel))
  }

  /** Waits for the next message on a channel, subscribing to it first if needed. Mirrors `RedisPubSubLoopLayer.receive`. */
  async receive(channel: string, options: ReceiveOptions = {}): Promise<Message> {
    this.#assertOpen()
    requireValidChannelName(channel)
    const subscribed = this.#subscriberFor(channel).has(channel)
    const taken = this.#local.take(channel, options.signal)
    // Subscribing never rejects: while Redis is down it is renewed on reconnection.
    if (!subscribed) void this.#subscriberFor(channel).subscribe(channel)
    return taken
  }

  /**
   * The fast path of `receive()` for long-lived readers (the consumers' mailbox uses it, as
   * with the in-memory layer): hands the next message on `channel` to `receiver.deliver()`, at
   * once when one is buffered, else when one arrives; an error (a bad name, a closed layer) goes
   * to `receiver.fail()`. One call takes one message, without a promise or an abort listener;
   * `cancelReceive()` withdraws a receiver still waiting.
   */
  receiveInto(channel: string, receiver: LocalReceiver): void {
    let subscribed: boolean
    try {
      this.#assertOpen()
      // A channel the local table knows was checked when it got there.
      if (!this.#local.has(channel)) requireValidChannelName(channel)
      subscribed = this.#subscriberFor(channel).has(channel)
    } catch (error) {
      receiver.fail(error)
      return
    }
    this.#local.takeInto(channel, receiver)
    if (!subscribed) void this.#subscriberFor(channel).subscribe(channel)
  }

  /** Withdraws a receiver waiting through `receiveInto()`; returns whether it was waiting. Never throws. */
  cancelReceive(channel: string, receiver: LocalReceiver): boolean {
    return this.#local.cancel(channel, receiver)
  }

  /** Returns a new channel name and subscribes to it. Mirrors `new_channel(prefix="specific.")`. */
  async newChannel(prefix = 'specific.'): Promise<string> {
    this.#assertOpen()
    const name = requireValidChannelName(
      `${this.prefix}${prefix}${randomUUID().replaceAll('-', '')}`,
    )
    this.#local.open(name)
    await this.#subscriberFor(name).subscribe(name)
    return name
  }

  /**
   * Adds a channel of this process to a group and subscribes to the group. Unlike channels_redis,
   * which raises for a channel it has not seen, an unknown channel is subscribed here too.
   */
  async groupAdd(group: string, channel: string): Promise<void> {
    this.#assertOpen()
    requireValidGroupName(group)
    requireValidChannelName(channel)
    if (!this.#subscriberFor(channel).has(channel)) {
      this.#local.open(channel)
      await this.#subscriberFor(channel).subscribe(channel)
    }
    const groupChannel = this.#groupChannel(group)
    const members = this.#groups.get(groupChannel) ?? new Set<string>()
    this.#groups.set(groupChannel, members)
    members.add(channel)
    await this.#subscriberFor(groupChannel).subscribe(groupChannel)
  }

  /** Removes a channel from a group, unsubscribing when no local member is left; a no-op for non-members. */
  async groupDiscard(group: string, channel: string): Promise<void> {
    this.#assertOpen()
    requireValidGroupName(group)
    requireValidChannelName(channel)
    const groupChannel = this.#groupChannel(group)
    const members = this.#groups.get(groupChannel)
    if (!members?.delete(channel) || members.size > 0) return
    this.#groups.delete(groupChannel)
    await this.#subscriberFor(groupChannel).unsubscribe(groupChannel)
  }

  /** Publishes a message to a group's pub/sub channel. Mirrors `RedisPubSubLoopLayer.group_send`. */
  async groupSend(group: string, message: Message): Promise<void> {
    this.#assertOpen()
    requireLayerMessage(message)
    requireValidGroupName(group)
    const groupChannel = this.#groupChannel(group)
    await this.#publish(groupChannel, this.#serializer.serialize(message, group))
  }

  /**
   * Drops buffered messages (also those already on their way from Redis) and group memberships,
   * unsubscribing what nobody waits on. Redis itself holds no pub/sub data.
   */
  async flush(): Promise<void> {
    this.#assertOpen()
    await Promise.all(this.#subscribers.map((subscriber) => subscriber.sync()))
    this.#local.clear()
    const groups = [...this.#groups.keys()]
    this.#groups.clear()
    await Promise.all(
      groups.map((groupChannel) => this.#subscriberFor(groupChannel).unsubscribe(groupChannel)),
    )
  }

  /** Closes every connection and rejects waiting receivers. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#local.rejectAll(new InvalidChannelLayerError('The channel layer was closed.'))
    this.#groups.clear()
    await Promise.all([
      ...this.#subscribers.map((subscriber) => subscriber.close()),
      ...this.#publishers.map((publisher) => publisher.close()),
    ])
  }

  async #publish(channel: string, payload: Buffer): Promise<void> {
    const publisher = this.#publishers[
      consistentHash(channel, this.#publishers.length)
    ] as RedisConnection
    await publisher.run((client) => client.publish(channel, payload))
  }

  /**
   * Routes a pub/sub message to the local channel, or to each local member of the group: a group
   * message is decoded once, and each further member gets a plain copy or, when its consumer
   * relays the type, nothing to copy (see `GroupDelivery`).
   * Mirrors `_receive_message`.
   */
  #dispatch(name: string, payload: Buffer): void {
    const now = Date.now()
    const expiresAt = now + this.expiryMs
    if (this.#local.has(name)) {
      const message = this.#decode(name, payload)
      if (message === null) return
      this.#local.deliver(name, message, expiresAt, now)
      return
    }
    const members = this.#groups.get(name)
    if (members === undefined) return
    // Decoded when the first member still known here is found: nothing is decoded for nobody.
    let group: GroupDelivery | null = null
    for (const channel of members) {
      if (group === null) {
        if (!this.#local.has(channel)) continue
        const message = this.#decode(name, payload)
        if (message === null) return
        group = new GroupDelivery(message)
      }
      // A copy is made only for a member known here that takes it as a message.
      this.#local.deliverToMember(channel, group, expiresAt, now, true)
    }
  }

  /** Decodes a published payload, or logs why it is skipped and returns null. */
  #decode(name: string, payload: Buffer): Message | null {
    let decoded: unknown
    try {
      decoded = this.#serializer.deserialize(payload)
    } catch (error) {
      this.#options.logger.warn(
        `Skipped an undecodable message on pub/sub channel ${JSON.stringify(name)}: ${(error as Error).message}`,
      )
      return null
    }
    if (isMessage(decoded)) return decoded
    const parsed = publishedMessage.safeParse(decoded)
    const reason = parsed.success ? 'unexpected shape' : z.prettifyError(parsed.error)
    this.#options.logger.warn(
      `Skipped a message on pub/sub channel ${JSON.stringify(name)} that is not a channel layer message: ${reason}`,
    )
    return null
  }

  #subscriberFor(name: string): Subscriber {
    return this.#subscribers[consistentHash(name, this.#subscribers.length)] as Subscriber
  }

  #groupChannel(group: string): string {
    return `${this.prefix}__group__${group}`
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidChannelLayerError('The channel layer was closed.')
  }
}

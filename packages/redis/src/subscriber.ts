import { RedisConnection } from './connection.js'
import type { RedisLayerLogger } from './logger.js'
import type { ResolvedHost } from './options.js'

/** How a `Subscriber` connects and where it hands messages. */
export interface SubscriberOptions {
  host: ResolvedHost
  connectTimeoutMs: number
  commandTimeoutMs: number
  logger: RedisLayerLogger
  /** Called for every pub/sub message, with the Redis channel name and the raw payload. */
  onMessage(channel: string, payload: Buffer): void
}

/**
 * One Redis pub/sub connection that keeps a record of what it should be subscribed to and
 * re-subscribes all of it whenever the connection becomes ready again, so subscriptions survive
 * a Redis restart. Messages published while it was disconnected are lost, as with channels_redis.
 */
export class Subscriber {
  readonly #connection: RedisConnection
  readonly #logger: RedisLayerLogger
  readonly #wanted = new Set<string>()

  constructor(options: SubscriberOptions) {
    this.#logger = options.logger
    this.#connection = new RedisConnection({
      host: options.host,
      name: 'node-channels:subscribe',
      connectTimeoutMs: options.connectTimeoutMs,
      commandTimeoutMs: options.commandTimeoutMs,
      logger: options.logger,
    })
    const { client } = this.#connection
    client.on('messageBuffer', (channel: Buffer, payload: Buffer) => {
      options.onMessage(channel.toString('utf8'), payload)
    })
    client.on('ready', () => {
      const channels = [...this.#wanted]
      if (channels.length === 0) return
      client.subscribe(...channels).then(
        () =>
          this.#logger.info(
            `Subscribed to ${channels.length} channels on Redis at ${this.#connection.address} after connecting.`,
          ),
        (error: unknown) =>
          this.#logger.warn(
            `Subscribing to ${channels.length} channels on Redis at ${this.#connection.address} failed: ${(error as Error).message}`,
          ),
      )
    })
  }

  /** True if `channel` is (or will be, once Redis is back) subscribed. */
  has(channel: string): boolean {
    return this.#wanted.has(channel)
  }

  /**
   * Subscribes to a channel; resolves once Redis confirmed it. While Redis is unreachable it
   * resolves after at most `connectTimeoutMs` and the subscription is made on reconnection.
   */
  async subscribe(channel: string): Promise<void> {
    this.#wanted.add(channel)
    try {
      const client = await this.#connection.ready()
      await client.subscribe(channel)
    } catch (error) {
      this.#logger.warn(
        `Subscribing to ${JSON.stringify(channel)} waits for Redis to come back: ${(error as Error).message}`,
      )
    }
  }

  /** Unsubscribes from a channel (now, or simply not again after a reconnection). */
  async unsubscribe(channel: string): Promise<void> {
    if (!this.#wanted.delete(channel) || !this.#connection.isReady) return
    try {
      await this.#connection.client.unsubscribe(channel)
    } catch (error) {
      this.#logger.warn(
        `Unsubscribing from ${JSON.stringify(channel)} failed: ${(error as Error).message}`,
      )
    }
  }

  /**
   * Resolves once every message Redis pushed to this connection before now has been handed to
   * `onMessage` (a PING's reply queues behind them). A no-op while disconnected.
   */
  async sync(): Promise<void> {
    if (!this.#connection.isReady) return
    try {
      await this.#connection.client.ping()
    } catch (error) {
      this.#logger.warn(
        `Synchronising with Redis at ${this.#connection.address} failed: ${(error as Error).message}`,
      )
    }
  }

  /** Closes the connection for good. */
  close(): Promise<void> {
    this.#wanted.clear()
    return this.#connection.close()
  }
}

import { ChannelListCache } from './channel-list-cache.js'
import { GroupDelivery } from './group-delivery.js'
import type { LocalChannels } from './local-channels.js'
import type { RedisLayerLogger } from './logger.js'
import type { MessageSerializer } from './serializer.js'
import { decodeStoredMessage } from './stored-message.js'

/** What a `QueueDispatcher` decodes with and delivers to. */
export interface QueueDispatcherOptions {
  serializer: MessageSerializer
  local: LocalChannels
  /** How long a message lives after its send time (its score), in milliseconds. */
  expiryMs: number
  logger: RedisLayerLogger
}

/**
 * Hands messages popped from Redis queues to the local channel table, as channels_redis'
 * `receive` does with its `receive_buffer`: a process-local message to the channels its
 * `__asgi_channel__` names, a named-channel message to that channel.
 */
export class QueueDispatcher {
  readonly #options: QueueDispatcherOptions
  /** The channel lists of recent group messages, decoded once. */
  readonly #lists = new ChannelListCache()
  /**
   * Lists (as `#lists` hands them out again) whose every channel was found to belong to the
   * queue they map to: their next messages skip the check, which cost a group delivery about
   * 100 ns per channel (`startsWith` on names of 74 characters).
   */
  readonly #checked = new WeakMap<readonly string[], string>()

  constructor(options: QueueDispatcherOptions) {
    this.#options = options
  }

  /**
   * Hands a message popped from the process queue `queue` (Redis key `key`) to each channel
   * named in its `__asgi_channel__`. A group message is decoded once, and each further
   * channel gets a plain copy or, when its consumer relays the type, nothing to copy (see
   * `GroupDelivery`).
   */
  dispatchLocal(key: string, queue: string, member: Buffer, score: number): void {
    const { serializer, local, expiryMs, logger } = this.#options
    const expiresAt = score * 1000 + expiryMs
    const stored = decodeStoredMessage(serializer, key, member, expiresAt, logger, this.#lists)
    if (!stored) return
    const { channels, message } = stored
    const now = Date.now()
    if (channels === undefined) {
      logger.warn(`Skipped a message in Redis key ${JSON.stringify(key)} that names no channel.`)
      return
    }
    if (typeof channels === 'string') {
      if (this.#belongs(channels, queue, key)) local.deliver(channels, message, expiresAt, now)
      return
    }
    const group = new GroupDelivery(message)
    if (this.#checked.get(channels) === queue) {
      for (const channel of channels) local.deliverToMember(channel, group, expiresAt, now, false)
      return
    }
    let allBelong = true
    for (const channel of channels) {
      if (this.#belongs(channel, queue, key)) {
        local.deliverToMember(channel, group, expiresAt, now, false)
      } else {
        allBelong = false
      }
    }
    if (allBelong) this.#checked.set(channels, queue)
  }

  /** Hands a message popped from the named channel `channel` (Redis key `key`) to its receiver. */
  dispatchNamed(channel: string, key: string, member: Buffer, score: number): void {
    const { serializer, local, expiryMs, logger } = this.#options
    const expiresAt = score * 1000 + expiryMs
    const stored = decodeStoredMessage(serializer, key, member, expiresAt, logger)
    if (stored) local.deliver(channel, stored.message, expiresAt)
  }

  /** True if `channel` is a process-local channel of `queue`; logs and skips it otherwise. */
  #belongs(channel: string, queue: string, key: string): boolean {
    // `queue` ends with its only "!", so a channel starting with it has the same non-local name.
    if (channel.startsWith(queue)) return true
    this.#options.logger.warn(
      `Skipped channel ${JSON.stringify(channel)}, which does not belong to Redis key ${JSON.stringify(key)}.`,
    )
    return false
  }
}

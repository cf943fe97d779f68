import type { ChannelLayer, ReceiveOptions } from './channel-layer.js'
import { InvalidChannelLayerError } from './errors.js'
import type { Message } from './types.js'

/**
 * A consumer instance's handle on the channel layer: every call goes to the real layer, and
 * the groups its own channel joins are remembered, so that `leaveAll()` discards them when
 * the instance ends for any reason, including groups joined by hand in `connect()` (Channels
 * leaks those when a consumer crashes). Adding its channel to a group after the instance
 * has ended is refused, so nothing can leak afterwards either.
 */
export class ConsumerChannelLayer implements ChannelLayer {
  /** The layer every call is delegated to. */
  readonly layer: ChannelLayer
  /** The consumer's own channel. */
  readonly channelName: string
  /** Made on the first join: most connections of an echo-style app never join one. */
  #groups: Set<string> | null = null
  #ended = false

  constructor(layer: ChannelLayer, channelName: string) {
    this.layer = layer
    this.channelName = channelName
  }

  get extensions(): readonly string[] {
    return this.layer.extensions
  }

  /** The groups this consumer's channel has joined through this handle and not yet left. */
  get groups(): readonly string[] {
    return this.#groups === null ? [] : [...this.#groups]
  }

  send(channel: string, message: Message): Promise<void> {
    return this.layer.send(channel, message)
  }

  receive(channel: string, options?: ReceiveOptions): Promise<Message> {
    return this.layer.receive(channel, options)
  }

  newChannel(prefix?: string): Promise<string> {
    return this.layer.newChannel(prefix)
  }

  async groupAdd(group: string, channel: string): Promise<void> {
    if (channel === this.channelName) {
      if (this.#ended) {
        throw new InvalidChannelLayerError(
          `Cannot add channel ${JSON.stringify(channel)} to group ${JSON.stringify(group)}: its consumer has ended.`,
        )
      }
      // Remember before the call: if the layer added it and then failed, leaveAll still tries.
      this.#groups ??= new Set()
      this.#groups.add(group)
    }
    await this.layer.groupAdd(group, channel)
  }

  async groupDiscard(group: string, channel: string): Promise<void> {
    await this.layer.groupDiscard(group, channel)
    if (channel === this.channelName) this.#groups?.delete(group)
  }

  groupSend(group: string, message: Message): Promise<void> {
    return this.layer.groupSend(group, message)
  }

  flush(): Promise<void> {
    return this.layer.flush()
  }

  close(): Promise<void> {
    return this.layer.close()
  }

  /**
   * Discards the consumer's channel from every group it joined and refuses later joins.
   * Every discard is attempted; the first failure is thrown once all have settled.
   */
  async leaveAll(): Promise<void> {
    this.#ended = true
    if (this.#groups === null || this.#groups.size === 0) return
    const groups = [...this.#groups]
    this.#groups.clear()
    const results = await Promise.allSettled(
      groups.map((group) => this.layer.groupDiscard(group, this.channelName)),
    )
    const failure = results.find((result) => result.status === 'rejected')
    if (failure) throw failure.reason
  }
}

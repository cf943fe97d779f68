import type { RelayMemo } from './relay.js'
import type { Message } from './types.js'

/** Options for `ChannelLayer.receive()`. */
export interface ReceiveOptions {
  /** Aborting it rejects the pending receive with the signal's reason and releases the waiter. */
  signal?: AbortSignal
}

/**
 * A channel layer: named FIFO channels with capacity and expiry, process-local channels
 * (`prefix!suffix`) and groups. Mirrors `channels.layers.BaseChannelLayer`; delivery is
 * at most once.
 */
export interface ChannelLayer {
  /** The optional features this layer has: `"groups"`, `"flush"`. */
  readonly extensions: readonly string[]
  /** Queues a message on a channel; throws `ChannelFull` over capacity. */
  send(channel: string, message: Message): Promise<void>
  /** Waits for the next message on a channel. */
  receive(channel: string, options?: ReceiveOptions): Promise<Message>
  /** Returns a new process-local channel name. Mirrors `new_channel(prefix="specific.")`. */
  newChannel(prefix?: string): Promise<string>
  /** Adds a channel to a group (refreshing its group expiry). */
  groupAdd(group: string, channel: string): Promise<void>
  /** Removes a channel from a group; unknown names are a no-op. */
  groupDiscard(group: string, channel: string): Promise<void>
  /** Sends a message to every channel in a group; full channels are skipped, never thrown. */
  groupSend(group: string, message: Message): Promise<void>
  /** Drops every channel and group. */
  flush(): Promise<void>
  /** Releases the layer's resources (connections, timers). */
  close(): Promise<void>
}

/**
 * What `InMemoryChannelLayer.receiveInto()` hands messages to: a long-lived receiver that
 * takes one message per call, without a promise or an abort listener per message. Both
 * methods are called synchronously from inside `send()`, `groupSend()` or `close()` and
 * must not throw.
 */
export interface ChannelReceiver {
  /** Takes the message received for it. */
  deliver(message: Message): void
  /** Takes the error that ended the receive (the layer was closed, a bad channel name). */
  fail(reason: unknown): void
  /**
   * Offered a group message before it is copied and delivered, by a layer that builds one
   * `RelayMemo` per group send: sends what its consumer's relay makes of it straight to the
   * client and returns true, or returns false to have it delivered as usual. The receiver
   * keeps waiting either way, as if the message had not come (see `AsyncConsumer.relays`).
   */
  relay?(memo: RelayMemo): boolean
}

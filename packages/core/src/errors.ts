/** Raise from any handler to end the consumer cleanly. Mirrors `channels.exceptions.StopConsumer`. */
export class StopConsumer extends Error {
  override name = 'StopConsumer'
}

/** Raise inside `connect()` to accept the connection. Mirrors `channels.exceptions.AcceptConnection`. */
export class AcceptConnection extends Error {
  override name = 'AcceptConnection'
}

/** Raise inside `connect()` to deny the connection. Mirrors `channels.exceptions.DenyConnection`. */
export class DenyConnection extends Error {
  override name = 'DenyConnection'
}

/** Thrown by `ChannelLayer.send()` when the channel is at capacity. Mirrors `channels.exceptions.ChannelFull`. */
export class ChannelFull extends Error {
  override name = 'ChannelFull'
  /** The channel that was full. */
  readonly channel: string

  constructor(channel: string, options?: ErrorOptions) {
    super(`Channel ${JSON.stringify(channel)} is over capacity`, options)
    this.channel = channel
  }
}

/** Thrown by a channel layer for a message it cannot carry. Mirrors `channels.exceptions.MessageTooLarge`. */
export class MessageTooLarge extends Error {
  override name = 'MessageTooLarge'
}

/** A channel layer is misconfigured or lacks a needed extension. Mirrors `channels.exceptions.InvalidChannelLayerError`. */
export class InvalidChannelLayerError extends Error {
  override name = 'InvalidChannelLayerError'
}

/** The client went away before the request body was complete. Mirrors `channels.exceptions.RequestAborted`. */
export class RequestAborted extends Error {
  override name = 'RequestAborted'
}

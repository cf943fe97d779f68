/**
 * Redis could not be reached (refused, down, reconnecting, or a command timed out) so the
 * operation did not happen. Mirrors the `redis.exceptions.ConnectionError` that channels_redis
 * lets through; the layer keeps reconnecting in the background.
 */
export class RedisConnectionError extends Error {
  override name = 'RedisConnectionError'
  /** The Redis address (password removed) that failed. */
  readonly address: string

  constructor(address: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.address = address
  }
}

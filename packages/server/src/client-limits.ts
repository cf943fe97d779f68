import type { Duplex } from 'node:stream'
import { MessageWatch } from './message-watch.js'
import { TokenBucket } from './token-bucket.js'

/** The limits `ClientLimits` enforces (`null` for one that is off). */
export interface ClientLimitOptions {
  readonly websocketMessageTimeoutMs: number | null
  readonly websocketRateLimit: { readonly messagesPerSecond: number; readonly burst: number } | null
}

/** Called once a client breaks a limit: the close code and reason, and what it did. */
export type LimitBroken = (code: number, reason: string, problem: string) => void

/**
 * What a WebSocket client sends, held to `websocketMessageTimeoutMs` (a message must not stay
 * partly received) and `websocketRateLimit` (messages per second). A connection makes one when
 * its client first sends bytes, so an idle connection keeps none; a new bucket is full, as
 * one made when the socket opened would be by then.
 */
export class ClientLimits {
  readonly #watch: MessageWatch | null
  readonly #bucket: TokenBucket | null
  readonly #broken: LimitBroken
  /** Set once the client went over the rate limit: its further messages are dropped. */
  #flooded = false

  constructor(socket: Duplex, options: ClientLimitOptions, broken: LimitBroken) {
    this.#broken = broken
    const timeoutMs = options.websocketMessageTimeoutMs
    this.#watch =
      timeoutMs === null
        ? null
        : new MessageWatch(socket, timeoutMs, () =>
            broken(
              1008,
              'Message not completed in time',
              `left a message unfinished for ${timeoutMs} ms`,
            ),
          )
    const limit = options.websocketRateLimit
    this.#bucket = limit && new TokenBucket(limit.messagesPerSecond, limit.burst)
  }

  /** Takes the next bytes read from the socket, at `now` (`performance.now()`). */
  push(chunk: Buffer, now: number): void {
    this.#watch?.push(chunk, now)
  }

  /**
   * Whether a message whose last bytes arrived at `at` is within the rate limit. The first
   * one over it breaks the limit; that one and every later one are dropped.
   */
  admit(at: number): boolean {
    if (this.#flooded) return false
    const bucket = this.#bucket
    if (bucket === null || bucket.take(at)) return true
    this.#flooded = true
    this.#broken(
      1008,
      'Message rate limit exceeded',
      'sent messages faster than websocketRateLimit allows',
    )
    return false
  }

  /** Stops watching (the connection ended). */
  stop(): void {
    this.#watch?.stop()
  }
}

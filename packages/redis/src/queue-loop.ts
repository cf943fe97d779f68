import type { RedisConnection } from './connection.js'
import type { RedisLayerLogger } from './logger.js'
import { CLEANUP_SCRIPT, runScript } from './lua.js'

/** BZPOPMIN's timeout in seconds. Mirrors `RedisChannelLayer.brpop_timeout`. */
const POP_TIMEOUT_SECONDS = 5
/** After an unexpected Redis error, wait this long before popping again (Python's receive task sleeps 1 s). */
const ERROR_PAUSE_MS = 1000

/** A pop sent to Redis and not yet answered. */
interface PendingPop {
  result: Promise<[Buffer, Buffer, Buffer] | null>
}

/** What a `QueueLoop` pops from and where it hands the messages. */
export interface QueueLoopOptions {
  /** The queue's Redis key: the layer prefix plus the channel's non-local name. */
  key: string
  /** The blocking connection to the shard this loop pops (a pending BZPOPMIN holds it). */
  connection: RedisConnection
  /** Whether anyone still waits on this queue; the loop ends after a pop once nobody does. */
  wanted(): boolean
  /**
   * True for a queue other processes also read (a named channel): a message popped after this
   * process's receivers left goes back to the queue instead of to `onMember`.
   */
  shared: boolean
  /** Lifetime of the `$inflight` key, in seconds (the message expiry). */
  inflightExpirySeconds: number
  /** Takes a popped member and its score (seconds); must not throw. */
  onMember(member: Buffer, scoreSeconds: number): void
  /** Called when the loop ends because nobody waits any more (not when it is closed). */
  onIdle(): void
  logger: RedisLayerLogger
}

/**
 * Pops one Redis queue on one shard for this process, with channels_redis' `$inflight` protocol so a message
 * popped by a process that dies is put back for the next receiver:
 * `EVAL cleanup` (restore `$inflight`), `BZPOPMIN key 5`, `ZADD key$inflight`, hand it over,
 * `ZPOPMIN key$inflight`. Mirrors `RedisChannelLayer._brpop_with_clean` and `receive_single`.
 * Rides out Redis outages by waiting for the connection to come back.
 */
export class QueueLoop {
  readonly #options: QueueLoopOptions
  readonly #inflightKey: string
  #running: Promise<void> | null = null
  #closed = false
  #pause: { timer: NodeJS.Timeout; resolve(): void } | null = null

  constructor(options: QueueLoopOptions) {
    this.#options = options
    this.#inflightKey = `${options.key}$inflight`
  }

  /** True while the loop pops (it may be finishing its last BZPOPMIN). */
  get running(): boolean {
    return this.#running !== null
  }

  /** Starts popping if the loop is not already running. */
  start(): void {
    if (this.#running || this.#closed) return
    this.#running = this.#run()
      .catch(async (error: unknown) => {
        // Not expected (every Redis failure is handled inside): report it, pause, let it restart.
        this.#options.logger.error(
          `The receive loop for Redis key ${JSON.stringify(this.#options.key)} failed: ${(error as Error).message}`,
        )
        await this.#sleep(ERROR_PAUSE_MS)
      })
      .finally(() => {
        this.#running = null
        if (this.#closed) return
        // A receiver may have arrived between the last check and the loop's end.
        if (this.#options.wanted()) this.start()
        else this.#options.onIdle()
      })
  }

  /** Stops the loop; resolves once it has ended (its connection must be closed to cut a pending pop short). */
  async close(): Promise<void> {
    this.#closed = true
    if (this.#pause) {
      clearTimeout(this.#pause.timer)
      this.#pause.resolve()
    }
    await this.#running
  }

  async #run(): Promise<void> {
    const { key, logger, shared } = this.#options
    let pending: PendingPop | null = null
    while (!this.#closed) {
      if (!pending) {
        if (!this.#options.wanted()) {
          // A receiver that was just handed a message asks again in a moment: give it that moment.
          await new Promise((resolve) => setImmediate(resolve))
          if (this.#closed || !this.#options.wanted()) return
        }
        // During an outage: wait, without a time bound, for the connection to come back.
        if (!(await this.#options.connection.waitUntilReady()) || this.#closed) return
        pending = this.#pop()
      }
      const { result } = pending
      pending = null
      let popped: [Buffer, Buffer, Buffer] | null
      try {
        popped = await result
      } catch (error) {
        if (this.#closed) return
        await this.#failed(error)
        continue
      }
      if (!popped) continue
      const [, member, scoreBytes] = popped
      const score = scoreBytes.toString('latin1')
      // Unwanted after all (its receivers left during the pop): back in the queue, same score.
      const giveBack = shared && !this.#options.wanted()
      const { client } = this.#options.connection
      const acknowledged = Promise.all([
        client.zadd(this.#inflightKey, score, member),
        // channels_redis never expires $inflight; a process that dies right here would leave it forever.
        client.expire(this.#inflightKey, this.#options.inflightExpirySeconds),
        giveBack ? client.zadd(key, score, member) : null,
        client.zpopmin(this.#inflightKey),
      ])
      // Pipelined behind the acknowledgements: the next pop costs no extra round trip. A
      // process-local queue is only ever ours, so popping ahead of the receivers is harmless.
      if ((!shared || this.#options.wanted()) && this.#options.connection.isReady) {
        pending = this.#pop()
      }
      try {
        await acknowledged
      } catch (error) {
        if (giveBack)
          logger.warn(
            `A message popped from Redis key ${JSON.stringify(key)} could not be put back: ${(error as Error).message}`,
          )
      }
      if (!giveBack) this.#options.onMember(member, Number(score))
    }
    // Closed with a pop in flight: its connection is being closed, so it fails; nothing to keep.
    pending?.result.catch(() => {})
  }

  /** `EVALSHA cleanup` then `BZPOPMIN`, sent together; resolves with the pop (or null on timeout). */
  #pop(): PendingPop {
    const { key, logger, connection } = this.#options
    const cleanup = runScript(connection.client, CLEANUP_SCRIPT, [], [key, this.#inflightKey])
    const pop = connection.client.bzpopminBuffer(key, POP_TIMEOUT_SECONDS)
    const result = Promise.allSettled([cleanup, pop]).then(([cleaned, popped]) => {
      if (popped.status === 'rejected') throw popped.reason
      // A popped message is kept even if restoring $inflight failed; the next pop retries that.
      if (cleaned.status === 'rejected' && !this.#closed) {
        logger.error(
          `Restoring ${JSON.stringify(this.#inflightKey)} failed: ${(cleaned.reason as Error).message}`,
        )
      }
      return popped.value
    })
    return { result }
  }

  /** After a failed pop: Redis' own errors pause the loop a second; connection errors wait for the reconnect at the next turn. */
  async #failed(error: unknown): Promise<void> {
    if (error instanceof Error && error.name === 'ReplyError') {
      this.#options.logger.error(
        `Receiving from Redis key ${JSON.stringify(this.#options.key)} failed: ${error.message}`,
      )
      await this.#sleep(ERROR_PAUSE_MS)
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#pause = {
        timer: setTimeout(() => {
          this.#pause = null
          resolve()
        }, ms),
        resolve,
      }
    })
  }
}

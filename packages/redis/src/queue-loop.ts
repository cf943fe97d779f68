import type { RedisConnection } from './connection.js'
import type { RedisLayerLogger } from './logger.js'
import { CLEANUP_SCRIPT, POP_BATCH_SCRIPT, runScript, runScriptBuffer } from './lua.js'

/** BZPOPMIN's timeout in seconds. Mirrors `RedisChannelLayer.brpop_timeout`. */
const POP_TIMEOUT_SECONDS = 5
/** How many messages one round trip pops from a queue only this process reads. */
export const POP_BATCH_SIZE = 100
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
   * True for a queue other processes also read (a named channel): it is popped one message at
   * a time with channels_redis' exact protocol, and a message popped after this process's
   * receivers left goes back to the queue instead of to `onMember`. False for this process's
   * own queue: it is popped up to `POP_BATCH_SIZE` messages per round trip (`POP_BATCH_SCRIPT`).
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
 * A queue only this process reads is popped in batches instead, each kept in `$inflight` until
 * it has been handed over (see `POP_BATCH_SCRIPT`), and waited on with `BZPOPMIN` once drained.
 * Rides out Redis outages by waiting for the connection to come back.
 */
export class QueueLoop {
  readonly #options: QueueLoopOptions
  readonly #inflightKey: string
  #running: Promise<void> | null = null
  #closed = false
  /** Batched pops: true while `$inflight` may hold messages not handed over (so the next pop restores them). */
  #restore = true
  /** Batched pops: true while `$inflight` holds the last batch, handed over (the next pop drops it). */
  #holding = false
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

  #run(): Promise<void> {
    return this.#options.shared ? this.#runShared() : this.#runBatched()
  }

  /** Whether to go on popping: while someone waits, or waits again right after being served. */
  async #stillWanted(): Promise<boolean> {
    if (this.#options.wanted()) return true
    // A receiver that was just handed a message asks again in a moment: give it that moment.
    await new Promise((resolve) => setImmediate(resolve))
    return !this.#closed && this.#options.wanted()
  }

  /**
   * This process's own queue: `POP_BATCH_SCRIPT` while messages keep coming; once it comes back
   * short (the queue is drained), `BZPOPMIN` to wait, pipelined with the next batch, so a
   * lone message costs one round trip and a burst a round trip per `POP_BATCH_SIZE` messages.
   */
  async #runBatched(): Promise<void> {
    const { key, connection, onMember } = this.#options
    let drained = false
    while (!this.#closed) {
      if (!(await this.#stillWanted())) break
      if (!(await connection.waitUntilReady()) || this.#closed) return
      const restore = this.#restore
      // Until this batch is handed over, $inflight may hold messages nobody has.
      this.#restore = true
      const [wait, batch] = connection.corked((client) => [
        drained ? client.bzpopminBuffer(key, POP_TIMEOUT_SECONDS) : null,
        runScriptBuffer(
          client,
          POP_BATCH_SCRIPT,
          [key, this.#inflightKey],
          [POP_BATCH_SIZE, this.#options.inflightExpirySeconds, restore ? '1' : '0'],
        ) as Promise<Buffer[]>,
      ])
      const [waited, popped] = await Promise.allSettled([wait, batch])
      if (waited.status === 'fulfilled' && waited.value) {
        const [, member, score] = waited.value
        onMember(member, Number(score.toString('latin1')))
      }
      const failed = [waited, popped].find((result) => result.status === 'rejected')
      if (failed || popped.status === 'rejected') {
        if (this.#closed) return
        // The batch, if it was popped, stays in $inflight and is restored by the next pop.
        await this.#failed(failed?.reason)
        drained = false
        continue
      }
      const members: Buffer[] = popped.value
      for (let index = 0; index + 1 < members.length; index += 2) {
        onMember(
          members[index] as Buffer,
          Number((members[index + 1] as Buffer).toString('latin1')),
        )
      }
      this.#restore = false
      this.#holding = members.length > 0
      drained = members.length < 2 * POP_BATCH_SIZE
    }
    await this.#release()
  }

  /** Drops the handed-over batch from $inflight when the loop stops, so no later loop restores it. */
  async #release(): Promise<void> {
    if (this.#restore || !this.#holding || this.#closed || !this.#options.connection.isReady) return
    try {
      await this.#options.connection.client.del(this.#inflightKey)
      this.#holding = false
    } catch (error) {
      this.#options.logger.warn(
        `Clearing ${JSON.stringify(this.#inflightKey)} failed, so its messages may be delivered again: ${(error as Error).message}`,
      )
    }
  }

  /** A queue other processes may read too: channels_redis' protocol, one message per round trip. */
  async #runShared(): Promise<void> {
    const { key, logger } = this.#options
    let pending: PendingPop | null = null
    while (!this.#closed) {
      if (!pending) {
        if (!(await this.#stillWanted())) return
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
      const giveBack = !this.#options.wanted()
      const { connection } = this.#options
      const [acknowledged, next] = connection.corked(
        (client): [Promise<unknown>, PendingPop | null] => [
          Promise.all([
            client.zadd(this.#inflightKey, score, member),
            // channels_redis never expires $inflight; a process that dies right here would leave it forever.
            client.expire(this.#inflightKey, this.#options.inflightExpirySeconds),
            giveBack ? client.zadd(key, score, member) : null,
            client.zpopmin(this.#inflightKey),
          ]),
          // Pipelined behind the acknowledgements: the next pop costs no extra round trip.
          this.#options.wanted() && connection.isReady ? this.#pop() : null,
        ],
      )
      pending = next
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
    const [cleanup, pop] = connection.corked((client) => [
      runScript(client, CLEANUP_SCRIPT, [], [key, this.#inflightKey]),
      client.bzpopminBuffer(key, POP_TIMEOUT_SECONDS),
    ])
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

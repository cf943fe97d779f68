import type { RedisConnection } from './connection.js'
import type { RedisLayerLogger } from './logger.js'
import { CLEANUP_SCRIPT, runScript } from './lua.js'

/** BZPOPMIN's timeout in seconds. Mirrors `RedisChannelLayer.brpop_timeout`. */
const POP_TIMEOUT_SECONDS = 5
/** After an unexpected Redis error, wait this long before popping again (Python's receive task sleeps 1 s). */
const ERROR_PAUSE_MS = 1000

/** What a `QueueLoop` pops from and where it hands the messages. */
export interface QueueLoopOptions {
  /** The queue's Redis key: the layer prefix plus the channel's non-local name. */
  key: string
  /** One blocking connection per shard to pop from, polled in turn. */
  connections: readonly RedisConnection[]
  /** Whether anyone still waits on this queue; the loop ends after a pop once nobody does. */
  wanted(): boolean
  /**
   * True for a queue other processes also read (a named channel): a message popped after this
   * process's receivers left goes back to the queue instead of to `onMember`.
   */
  shared: boolean
  /** Takes a popped member and its score (seconds); must not throw. */
  onMember(member: Buffer, scoreSeconds: number): void
  /** Called when the loop ends because nobody waits any more (not when it is closed). */
  onIdle(): void
  logger: RedisLayerLogger
}

/**
 * Pops one Redis queue for this process, with channels_redis' `$inflight` protocol so a message
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
  #next = 0
  #pause: { timer: NodeJS.Timeout; resolve(): void } | null = null

  constructor(options: QueueLoopOptions) {
    this.#options = options
    this.#inflightKey = `${options.key}$inflight`
  }

  /** Starts popping if the loop is not already running. */
  start(): void {
    if (this.#running || this.#closed) return
    this.#running = this.#run().finally(() => {
      this.#running = null
      if (this.#closed) return
      // A receiver may have arrived between the last check and the loop's end.
      if (this.#options.wanted()) this.start()
      else this.#options.onIdle()
    })
  }

  /** Stops the loop; resolves once it has ended (its connections must be closed to cut a pending pop short). */
  async close(): Promise<void> {
    this.#closed = true
    if (this.#pause) {
      clearTimeout(this.#pause.timer)
      this.#pause.resolve()
    }
    await this.#running
  }

  async #run(): Promise<void> {
    const { connections, key, logger } = this.#options
    while (!this.#closed && this.#options.wanted()) {
      const connection = await this.#readyConnection()
      if (!connection) return
      try {
        await runScript(connection.client, CLEANUP_SCRIPT, [], [key, this.#inflightKey])
        const popped = await connection.client.bzpopminBuffer(key, POP_TIMEOUT_SECONDS)
        if (!popped) continue
        const [, member, scoreBytes] = popped
        const score = scoreBytes.toString('latin1')
        // Unwanted after all (its receivers left during the pop): back in the queue, same score.
        const giveBack = this.#options.shared && !this.#options.wanted()
        const { client } = connection
        await Promise.all([
          client.zadd(this.#inflightKey, score, member),
          giveBack ? client.zadd(key, score, member) : null,
          client.zpopmin(this.#inflightKey),
        ])
        if (!giveBack) this.#options.onMember(member, Number(score))
      } catch (error) {
        if (this.#closed) return
        if (error instanceof Error && error.name === 'ReplyError') {
          // Not a connection problem (e.g. WRONGTYPE on a foreign key): report it and retry later.
          logger.error(`Receiving from Redis key ${JSON.stringify(key)} failed: ${error.message}`)
          await this.#sleep(ERROR_PAUSE_MS)
        }
        // Connection failures: the next turn waits until the connection is ready again.
      }
      if (connections.length > 1) this.#next = (this.#next + 1) % connections.length
    }
  }

  /** The next shard's connection once one is ready; null when the loop is closed meanwhile. */
  async #readyConnection(): Promise<RedisConnection | null> {
    const { connections } = this.#options
    for (let tried = 0; tried < connections.length; tried++) {
      const connection = connections[(this.#next + tried) % connections.length] as RedisConnection
      if (connection.isReady) {
        this.#next = (this.#next + tried) % connections.length
        return connection
      }
    }
    // Every shard is down: wait for whichever comes back first.
    const ready = await Promise.race(connections.map((connection) => connection.waitUntilReady()))
    if (!ready || this.#closed) return null
    return this.#readyConnection()
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

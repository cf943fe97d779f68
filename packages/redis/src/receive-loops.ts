import { RedisConnection } from './connection.js'
import type { RedisLayerLogger } from './logger.js'
import type { ResolvedHost } from './options.js'
import type { QueueDispatcher } from './queue-dispatch.js'
import { QueueLoop } from './queue-loop.js'

/** How long a receive loop nobody waits on keeps its blocking connections for the next receiver. */
const IDLE_LOOP_MS = 30_000

/** A queue's receive loops as `ReceiveLoops.ensure()` returns them. */
export interface QueueLoops {
  /** True while every loop pops: `ensure()` would have nothing to do. */
  readonly running: boolean
}

/** A queue's receive loops and their blocking connections, one of each per shard. */
class LoopEntry implements QueueLoops {
  readonly loops: QueueLoop[] = []
  readonly connections: RedisConnection[] = []
  idleTimer: NodeJS.Timeout | undefined = undefined

  get running(): boolean {
    for (const loop of this.loops) if (!loop.running) return false
    return true
  }
}

/** Where a layer's receive loops pop from and whom they ask and tell. */
export interface ReceiveLoopsOptions {
  prefix: string
  hosts: readonly ResolvedHost[]
  connectTimeoutMs: number
  inflightExpirySeconds: number
  logger: RedisLayerLogger
  /** Receivers waiting on the channels of `queue` (a non-local name). */
  waitingOn(queue: string): number
  dispatcher: QueueDispatcher
}

/**
 * The receive loops of a `RedisChannelLayer`, one set per queue read in this process (its
 * process queue, each named channel), started on demand and closed a while after the last
 * receiver left. Mirrors the receive side of channels_redis' `RedisChannelLayer.receive`.
 */
export class ReceiveLoops {
  readonly #options: ReceiveLoopsOptions
  readonly #entries = new Map<string, LoopEntry>()

  constructor(options: ReceiveLoopsOptions) {
    this.#options = options
  }

  /**
   * Starts the loops that pop `queue` (a non-local name) if they are not running, and returns
   * them: a caller may skip the next `ensure()` while they are `running`.
   */
  ensure(queue: string): QueueLoops {
    const existing = this.#entries.get(queue)
    if (existing) {
      clearTimeout(existing.idleTimer)
      existing.idleTimer = undefined
      for (const loop of existing.loops) loop.start()
      return existing
    }
    const { hosts, connectTimeoutMs, logger, dispatcher } = this.#options
    const key = this.#options.prefix + queue
    const processLocal = queue.endsWith('!')
    const entry = new LoopEntry()
    // One loop and one blocking connection per shard, all popping at once: a process-local queue
    // may have been written to any shard by Python's send() (django/channels#1492), and named
    // channels are spread over the shards by senders.
    for (const host of hosts) {
      const connection = new RedisConnection({
        host,
        name: 'node-channels:receive',
        connectTimeoutMs,
        logger,
      })
      const loop = new QueueLoop({
        key,
        connection,
        wanted: () => this.#options.waitingOn(queue) > 0,
        shared: !processLocal,
        inflightExpirySeconds: this.#options.inflightExpirySeconds,
        onMember: (member, score) =>
          processLocal
            ? dispatcher.dispatchLocal(key, queue, member, score)
            : dispatcher.dispatchNamed(queue, key, member, score),
        onIdle: () => this.#idle(queue, entry),
        logger,
      })
      entry.connections.push(connection)
      entry.loops.push(loop)
    }
    this.#entries.set(queue, entry)
    for (const loop of entry.loops) loop.start()
    return entry
  }

  /** Stops every loop and closes its connections (which cuts pending BZPOPMINs short). */
  async close(): Promise<void> {
    const entries = [...this.#entries.values()]
    this.#entries.clear()
    await Promise.all(
      entries.map(async ({ loops, connections, idleTimer }) => {
        clearTimeout(idleTimer)
        const ended = Promise.all(loops.map((loop) => loop.close()))
        await Promise.all(connections.map((connection) => connection.close()))
        await ended
      }),
    )
  }

  /** Once all of a queue's loops are idle, its connections are kept a while (receivers usually come back), then closed. */
  #idle(queue: string, entry: LoopEntry): void {
    if (this.#entries.get(queue) !== entry || entry.idleTimer) return
    entry.idleTimer = setTimeout(() => {
      entry.idleTimer = undefined
      if (this.#entries.get(queue) !== entry || entry.loops.some((loop) => loop.running)) return
      this.#entries.delete(queue)
      for (const connection of entry.connections) void connection.close()
    }, IDLE_LOOP_MS).unref()
  }
}

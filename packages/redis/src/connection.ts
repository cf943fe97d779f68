import { Redis } from 'ioredis'
import { RedisConnectionError } from './errors.js'
import type { RedisLayerLogger } from './logger.js'
import type { ResolvedHost } from './options.js'

/** How one connection to one Redis server behaves. */
export interface RedisConnectionOptions {
  host: ResolvedHost
  /** Shown by `CLIENT LIST`, e.g. `node-channels:command`. */
  name: string
  /** Bound on a first connection attempt, in milliseconds. */
  connectTimeoutMs: number
  /** Bound on each command, in milliseconds; leave out for blocking connections. */
  commandTimeoutMs?: number
  logger: RedisLayerLogger
}

/** Reconnect backoff: 50 ms doubling up to 2 s, plus up to 100 ms of jitter. */
function retryDelayMs(attempt: number): number {
  return Math.min(50 * 2 ** Math.min(attempt - 1, 10), 2000) + Math.floor(Math.random() * 100)
}

/**
 * One ioredis client that fails fast while Redis is unreachable instead of queueing commands,
 * reconnects with backoff in the background, and never leaves an 'error' event unhandled.
 * Commands go through `run()`, which turns connection failures into `RedisConnectionError`.
 */
export class RedisConnection {
  /** The underlying client, for subscriptions and pipelines; prefer `run()` for commands. */
  readonly client: Redis
  /** The server's address, without credentials. */
  readonly address: string
  readonly #logger: RedisLayerLogger
  readonly #connectTimeoutMs: number
  /** True from a lost or refused connection until the next 'ready': operations then fail at once. */
  #down = false
  #lastError: Error | undefined
  #closed = false
  /** Wakes every `waitUntilReady()` caller on close: between reconnection attempts ioredis emits no 'end'. */
  readonly #closeWaiters = new Set<() => void>()
  #readyWait: Promise<Redis> | null = null
  /** True while the socket is corked for the current tick (see `corked()`). */
  #corked = false

  constructor(options: RedisConnectionOptions) {
    this.address = options.host.address
    this.#logger = options.logger
    this.#connectTimeoutMs = options.connectTimeoutMs
    this.client = new Redis({
      ...options.host.connection,
      connectionName: options.name,
      lazyConnect: true,
      // Fail fast: no offline queue, and commands in flight when the socket drops are rejected
      // rather than replayed (a replayed BZPOPMIN or PUBLISH would not be what the caller expects).
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      // The pub/sub layer re-subscribes itself on 'ready', from its own record of subscriptions.
      autoResubscribe: false,
      connectTimeout: options.connectTimeoutMs,
      ...(options.commandTimeoutMs === undefined
        ? {}
        : { commandTimeout: options.commandTimeoutMs }),
      retryStrategy: retryDelayMs,
      disableClientInfo: true,
    })
    // Every failure is handled here (never an unhandled 'error'); it is logged once per outage.
    this.client.on('error', (error: Error) => this.#markDown(error))
    this.client.on('close', () => this.#markDown(new Error('the connection was lost')))
    this.client.on('ready', () => {
      if (this.#down) this.#logger.info(`Reconnected to Redis at ${this.address}.`)
      this.#down = false
      this.#lastError = undefined
    })
  }

  #markDown(reason: Error): void {
    if (this.#closed) return
    if (!this.#down) {
      this.#lastError = reason
      this.#logger.warn(
        `Redis at ${this.address} is unavailable (${reason.message}); reconnecting in the background.`,
      )
    } else if (reason.message !== 'the connection was lost') {
      // A later, more telling error (ECONNREFUSED) replaces "the connection was lost".
      this.#lastError = reason
    }
    this.#down = true
  }

  /** True while the client can take commands. */
  get isReady(): boolean {
    return this.client.status === 'ready'
  }

  /**
   * Resolves with the client once it is ready. Rejects with `RedisConnectionError` at once
   * while Redis is known to be down, and after `connectTimeoutMs` on a first connection.
   */
  ready(): Promise<Redis> {
    if (this.#closed) {
      return Promise.reject(
        new RedisConnectionError(
          this.address,
          `The connection to Redis at ${this.address} is closed.`,
        ),
      )
    }
    if (this.client.status === 'ready') return Promise.resolve(this.client)
    if (this.#down) return Promise.reject(this.#unavailable(this.#lastError))
    this.#connect()
    // Concurrent callers share one wait (and one set of listeners).
    this.#readyWait ??= new Promise<Redis>((resolve, reject) => {
      const finish = (error?: Error) => {
        clearTimeout(timer)
        this.client.off('ready', onReady)
        this.client.off('error', finish)
        this.client.off('end', onEnd)
        if (error) reject(this.#unavailable(error))
        else resolve(this.client)
      }
      const onReady = () => finish()
      const onEnd = () => finish(new Error('the connection was closed'))
      const timer = setTimeout(
        () => finish(new Error(`not ready within ${this.#connectTimeoutMs} ms`)),
        this.#connectTimeoutMs,
      )
      this.client.on('ready', onReady)
      this.client.once('error', finish)
      this.client.once('end', onEnd)
    }).finally(() => {
      this.#readyWait = null
    })
    return this.#readyWait
  }

  /**
   * Waits, without a time bound, until the client is ready: receive loops use it to ride out
   * an outage. Resolves false if the connection is closed first.
   */
  waitUntilReady(): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false)
    if (this.client.status === 'ready') return Promise.resolve(true)
    this.#connect()
    return new Promise<boolean>((resolve) => {
      const settle = (ready: boolean) => {
        this.client.off('ready', onReady)
        this.client.off('end', onEnd)
        this.#closeWaiters.delete(onEnd)
        resolve(ready && !this.#closed)
      }
      const onReady = () => settle(true)
      const onEnd = () => settle(false)
      this.client.once('ready', onReady)
      this.client.once('end', onEnd)
      this.#closeWaiters.add(onEnd)
    })
  }

  /**
   * Runs commands once ready; connection failures reject with `RedisConnectionError`, Redis' own
   * errors as they are. The commands `commands` sends before its first `await` leave in one write.
   */
  async run<T>(commands: (client: Redis) => Promise<T>): Promise<T> {
    await this.ready()
    try {
      return await this.corked(commands)
    } catch (error) {
      throw this.toError(error)
    }
  }

  /**
   * Calls `issue`, which sends commands, with the socket corked until the current tick's
   * work is done: every command any caller sends meanwhile (concurrent sends, a receive loop's
   * pipelined pops) leaves in one write, one system call, instead of one write each.
   */
  corked<T>(issue: (client: Redis) => T): T {
    const { stream } = this.client
    if (!this.#corked && this.client.status === 'ready' && stream !== undefined) {
      this.#corked = true
      stream.cork()
      // After the microtasks of this tick too: commands their continuations send join the write.
      process.nextTick(() => {
        this.#corked = false
        stream.uncork()
      })
    }
    return issue(this.client)
  }

  /** Maps a failed command's error: Redis replies stay as they are, anything else is a connection failure. */
  toError(error: unknown): Error {
    if (error instanceof RedisConnectionError) return error
    if (error instanceof Error && error.name === 'ReplyError') return error
    return this.#unavailable(error instanceof Error ? error : new Error(String(error)))
  }

  /** Closes the socket for good; commands still in flight fail with `RedisConnectionError`. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const { status } = this.client
    // Only a live socket ends with an 'end' event; between reconnection attempts there is none.
    const live = status === 'connecting' || status === 'connect' || status === 'ready'
    const ended = live ? new Promise((resolve) => this.client.once('end', resolve)) : null
    this.client.disconnect()
    for (const wake of this.#closeWaiters) wake()
    await ended
  }

  #connect(): void {
    if (this.client.status === 'wait') {
      // Failures surface as 'error' events, which are handled above.
      this.client.connect().catch(() => {})
    }
  }

  #unavailable(cause: Error | undefined): RedisConnectionError {
    const reason = cause ? ` (${cause.message})` : ''
    return new RedisConnectionError(
      this.address,
      `Redis at ${this.address} is unavailable${reason}; the layer keeps reconnecting in the background.`,
      { cause },
    )
  }
}

import type { Application, ChannelScope, Message } from '@node-channels/core'
import { quoteValue } from '@node-channels/core'
import { CancelledError } from './app-instance.js'

/**
 * The messages a worker took from the layer for one channel and has not yet handed to the
 * channel's application instance. `get()` is the instance's `receive()`.
 */
export class WorkerInbox {
  readonly #items: Message[] = []
  readonly #getters: Array<{ resolve(message: Message): void; reject(error: Error): void }> = []
  readonly #drainWaiters = new Set<() => void>()
  #cancelled: CancelledError | null = null

  /** Messages waiting to be received. */
  get size(): number {
    return this.#items.length
  }

  /** True when the instance waits in `receive()` and nothing is queued: it has handled everything. */
  get idle(): boolean {
    return this.#getters.length > 0 && this.#items.length === 0
  }

  put(message: Message): void {
    const getter = this.#getters.shift()
    if (getter) getter.resolve(message)
    else this.#items.push(message)
    this.#wake()
  }

  /** The instance's `receive()`. After `cancel()`, rejects with CancelledError. */
  get(): Promise<Message> {
    if (this.#cancelled) return Promise.reject(this.#cancelled)
    const item = this.#items.shift()
    if (item !== undefined) {
      this.#wake()
      return Promise.resolve(item)
    }
    return new Promise((resolve, reject) => {
      this.#getters.push({ resolve, reject })
      this.#wake()
    })
  }

  /** Resolves once nothing is queued (at once if so), or when `signal` aborts. */
  drained(signal: AbortSignal): Promise<void> {
    return this.#until(() => this.#items.length === 0, signal)
  }

  /** Resolves once the instance is idle (see `idle`), or when `signal` aborts. */
  whenIdle(signal: AbortSignal): Promise<void> {
    return this.#until(() => this.idle, signal)
  }

  /** Drops what is queued and returns how many messages that was. */
  clear(): number {
    const dropped = this.#items.splice(0).length
    this.#wake()
    return dropped
  }

  /** Rejects the pending and every later `get()` with `error`. */
  cancel(error: CancelledError): void {
    this.#cancelled = error
    for (const getter of this.#getters.splice(0)) getter.reject(error)
    this.#wake()
  }

  #until(done: () => boolean, signal: AbortSignal): Promise<void> {
    if (done() || signal.aborted) return Promise.resolve()
    return new Promise((resolve) => {
      const check = (): void => {
        if (!done() && !signal.aborted) return
        this.#drainWaiters.delete(check)
        signal.removeEventListener('abort', check)
        resolve()
      }
      this.#drainWaiters.add(check)
      signal.addEventListener('abort', check, { once: true })
    })
  }

  #wake(): void {
    for (const check of [...this.#drainWaiters]) check()
  }
}

/**
 * One long-lived application instance serving a worker channel: called with
 * `{ type: 'channel', channel }`, fed through its `receive()` from an inbox. Mirrors the
 * instances asgiref's `StatelessServer.get_or_create_application_instance` keeps per channel.
 */
export class WorkerInstance {
  readonly channel: string
  readonly inbox: WorkerInbox
  /** Settles (never rejects) with the error the application threw, or null when it returned. */
  readonly settled: Promise<{ error: unknown } | null>
  #running = true
  /** Messages the application has taken through `receive()`. */
  received = 0

  constructor(application: Application, channel: string, inbox: WorkerInbox) {
    this.channel = channel
    this.inbox = inbox
    const scope: ChannelScope = { type: 'channel', channel }
    const receive = async (): Promise<Message> => {
      const message = await inbox.get()
      this.received += 1
      return message
    }
    const send = async (message: Message): Promise<void> => {
      throw new TypeError(
        `A worker application cannot send ${quoteValue(message?.type)}: a "channel" scope has no ` +
          'client. Reply through the channel layer instead.',
      )
    }
    this.settled = Promise.resolve()
      .then(() => application(scope, receive, send))
      .then(
        () => null,
        (error: unknown) =>
          (error as Error | null)?.name === 'StopConsumer' ? null : { error: error },
      )
      .finally(() => {
        this.#running = false
      })
  }

  /** True until the application returns or throws. */
  get running(): boolean {
    return this.#running
  }

  /** Asks the application to stop: its pending and later `receive()` calls reject with CancelledError. */
  cancel(): void {
    this.inbox.cancel(
      new CancelledError(
        `The worker is shutting down: channel ${quoteValue(this.channel)} stopped.`,
      ),
    )
  }
}

// What a test client receives (frames, events), read in arrival order.
import { AsyncQueue } from '@node-channels/core'

/** Thrown when nothing arrives in an inbox in time. */
export class NothingArrivedError extends Error {
  override name = 'NothingArrivedError'
}

/** A queue a test reads in arrival order, waiting (for a bounded time) for what has not arrived yet. */
export class Inbox<T> {
  readonly #queue = new AsyncQueue<T>()
  readonly #what: string

  /** `what` names an item in the timeout error ("event", "frame"). */
  constructor(what = 'item') {
    this.#what = what
  }

  /** How many items have arrived and not been read. */
  get size(): number {
    return this.#queue.size
  }

  /** Adds an item, or hands it to the reader waiting for it. */
  push(item: T): void {
    this.#queue.put(item)
  }

  /** The next item, waiting at most `timeoutMs` for it (NothingArrivedError after that). */
  async next(timeoutMs = 2000): Promise<T> {
    try {
      return await this.#queue.get(AbortSignal.timeout(timeoutMs))
    } catch (error) {
      if ((error as Error | undefined)?.name !== 'TimeoutError') throw error
      throw new NothingArrivedError(`No ${this.#what} arrived within ${timeoutMs} ms.`)
    }
  }
}

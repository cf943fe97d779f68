// What a test client receives (frames, events), read in arrival order.

/** Thrown when nothing arrives in an inbox in time. */
export class NothingArrivedError extends Error {
  override name = 'NothingArrivedError'
}

/** A queue a test reads in arrival order, waiting for what has not arrived yet. */
export class Inbox<T> {
  readonly #items: T[] = []
  readonly #waiters = new Set<() => void>()
  readonly #what: string

  /** `what` names an item in the timeout error ("event", "frame"). */
  constructor(what = 'item') {
    this.#what = what
  }

  /** How many items have arrived and not been read. */
  get size(): number {
    return this.#items.length
  }

  /** Adds an item and wakes the reader waiting for it. */
  push(item: T): void {
    this.#items.push(item)
    for (const wake of [...this.#waiters]) wake()
  }

  /** The next item, waiting at most `timeoutMs` for it (NothingArrivedError after that). */
  next(timeoutMs = 2000): Promise<T> {
    if (this.#items.length > 0) return Promise.resolve(this.#items.shift() as T)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(wake)
        reject(new NothingArrivedError(`No ${this.#what} arrived within ${timeoutMs} ms.`))
      }, timeoutMs)
      const wake = (): void => {
        if (this.#items.length === 0) return
        clearTimeout(timer)
        this.#waiters.delete(wake)
        resolve(this.#items.shift() as T)
      }
      this.#waiters.add(wake)
    })
  }
}

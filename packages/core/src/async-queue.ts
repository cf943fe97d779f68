/**
 * An unbounded FIFO whose `get()` waits for the next item and honours an `AbortSignal`.
 * The primitive behind `receive()` in the test communicators (asyncio.Queue in asgiref).
 */
export class AsyncQueue<T> {
  readonly #items: T[] = []
  readonly #waiters: Array<(item: T) => void> = []

  /** How many items are queued and not yet taken. */
  get size(): number {
    return this.#items.length
  }

  /** Queues an item, or hands it straight to the oldest waiting `get()`. */
  put(item: T): void {
    const waiter = this.#waiters.shift()
    if (waiter) waiter(item)
    else this.#items.push(item)
  }

  /**
   * Takes the next item, waiting for one if the queue is empty. An aborted signal rejects
   * with its reason and takes nothing, even when an item is queued.
   */
  get(signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    if (this.#items.length > 0) return Promise.resolve(this.#items.shift() as T)
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#waiters.indexOf(waiter)
        if (index !== -1) this.#waiters.splice(index, 1)
        reject(signal?.reason)
      }
      const waiter = (item: T): void => {
        signal?.removeEventListener('abort', onAbort)
        resolve(item)
      }
      this.#waiters.push(waiter)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }
}

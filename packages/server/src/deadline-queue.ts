/** Something a `DeadlineQueue` calls back when its time comes. */
export interface Deadline {
  /** Where the entry sits in its queue, or -1 when it is not queued: the queue's to set. */
  deadlineSlot: number
  /**
   * When the entry is due (`performance.now()`, rounded up to whole milliseconds so that V8
   * keeps it in the object rather than in a number box of its own): the queue's to set.
   */
  deadlineAt: number
  /** Called once the time has come, with the time; the entry has left the queue. */
  deadlineReached(now: number): void
}

/**
 * Many deadlines on one timer: a binary heap ordered by due time, with one Node timer set for
 * the earliest. Each connection of a server waits on it (its handshake timeout, then its
 * heartbeat) where a `setTimeout` of its own would keep a Timeout object, its arguments and
 * its times, about 250 bytes, for as long as it lives. An entry is queued at most once.
 * The timer is unref'd: pending deadlines do not keep the process alive.
 */
export class DeadlineQueue {
  readonly #heap: Deadline[] = []
  #timer: NodeJS.Timeout | null = null
  /** When the timer fires (`Infinity` when none is set). */
  #timerAt = Number.POSITIVE_INFINITY
  #running = false
  readonly #fire = (): void => this.#run()

  /** Entries queued now. */
  get size(): number {
    return this.#heap.length
  }

  /**
   * Queues `entry` to be called back at `time` (rounded up to the millisecond), or moves it
   * there when it is queued already.
   */
  schedule(entry: Deadline, time: number): void {
    const at = Math.ceil(time)
    const heap = this.#heap
    const slot = entry.deadlineSlot
    const earlier = slot < 0 || at < entry.deadlineAt
    entry.deadlineAt = at
    if (slot < 0) {
      entry.deadlineSlot = heap.length
      heap.push(entry)
      this.#up(heap.length - 1)
    } else if (earlier) {
      this.#up(slot)
    } else {
      this.#down(slot)
    }
    if (!this.#running && at < this.#timerAt) this.#arm(at)
  }

  /** Takes `entry` out of the queue; nothing happens when it is not queued. */
  cancel(entry: Deadline): void {
    const slot = entry.deadlineSlot
    if (slot < 0) return
    const heap = this.#heap
    entry.deadlineSlot = -1
    const last = heap.pop() as Deadline
    if (last !== entry) {
      heap[slot] = last
      last.deadlineSlot = slot
      this.#up(slot)
      this.#down(last.deadlineSlot)
    }
    // The timer stays: when it fires for nothing it is set again for the new earliest.
    if (heap.length === 0 && this.#timer !== null) {
      clearTimeout(this.#timer)
      this.#timer = null
      this.#timerAt = Number.POSITIVE_INFINITY
    }
  }

  #arm(at: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timerAt = at
    this.#timer = setTimeout(this.#fire, Math.max(1, Math.ceil(at - performance.now())))
    this.#timer.unref()
  }

  /** Calls back every entry that is due, then sets the timer for the next one. */
  #run(): void {
    this.#timer = null
    this.#timerAt = Number.POSITIVE_INFINITY
    const heap = this.#heap
    const now = performance.now()
    this.#running = true
    try {
      for (let first = heap[0]; first !== undefined && first.deadlineAt <= now; first = heap[0]) {
        this.cancel(first)
        first.deadlineReached(now)
      }
    } finally {
      this.#running = false
      const first = heap[0]
      if (first !== undefined) this.#arm(first.deadlineAt)
    }
  }

  /** Moves the entry at `slot` towards the root while it is due before its parent. */
  #up(slot: number): void {
    const heap = this.#heap
    const entry = heap[slot] as Deadline
    let at = slot
    while (at > 0) {
      const parentAt = (at - 1) >> 1
      const parent = heap[parentAt] as Deadline
      if (parent.deadlineAt <= entry.deadlineAt) break
      heap[at] = parent
      parent.deadlineSlot = at
      at = parentAt
    }
    heap[at] = entry
    entry.deadlineSlot = at
  }

  /** Moves the entry at `slot` towards the leaves while a child is due before it. */
  #down(slot: number): void {
    const heap = this.#heap
    const entry = heap[slot] as Deadline
    const size = heap.length
    let at = slot
    for (;;) {
      let child = 2 * at + 1
      if (child >= size) break
      const right = child + 1
      if (
        right < size &&
        (heap[right] as Deadline).deadlineAt < (heap[child] as Deadline).deadlineAt
      ) {
        child = right
      }
      const next = heap[child] as Deadline
      if (entry.deadlineAt <= next.deadlineAt) break
      heap[at] = next
      next.deadlineSlot = at
      at = child
    }
    heap[at] = entry
    entry.deadlineSlot = at
  }
}

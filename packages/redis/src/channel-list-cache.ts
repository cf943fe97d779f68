/** How many distinct channel lists a `ChannelListCache` keeps. */
const KEPT = 8

/**
 * The `__asgi_channel__` lists of recent group messages, decoded once: the messages of one
 * group to one process list the same channels in the same bytes until its membership
 * changes, so a message whose list bytes equal a kept one's (one comparison) reuses that
 * list's names instead of decoding each again. The names are the same strings each time,
 * which also keeps lookups by them cheap.
 */
export class ChannelListCache {
  readonly #lists: Buffer[] = []
  readonly #names: Array<readonly string[]> = []
  #next = 0

  /** The names decoded from a list with exactly these bytes, if one is kept. */
  get(list: Buffer): readonly string[] | undefined {
    const lists = this.#lists
    for (let index = 0; index < lists.length; index++) {
      const kept = lists[index] as Buffer
      if (kept.length === list.length && kept.equals(list)) return this.#names[index]
    }
    return undefined
  }

  /**
   * Keeps the names decoded from `list` (both copied), replacing the oldest list when full;
   * returns the names as kept, which `get()` returns from now on.
   */
  set(list: Buffer, names: readonly string[]): readonly string[] {
    const copy = Buffer.from(list)
    const frozen = Object.freeze(names.slice())
    if (this.#lists.length < KEPT) {
      this.#lists.push(copy)
      this.#names.push(frozen)
    } else {
      this.#lists[this.#next] = copy
      this.#names[this.#next] = frozen
      this.#next = (this.#next + 1) % KEPT
    }
    return frozen
  }
}

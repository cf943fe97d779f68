/** Per-channel capacities: glob patterns (`"http.response!*"`) or RegExps, first match wins. */
export type ChannelCapacity =
  | Readonly<Record<string, number>>
  | ReadonlyArray<readonly [pattern: string | RegExp, capacity: number]>

/** Looks up the capacity of a channel. Mirrors `BaseChannelLayer.get_capacity`, which Channels only honours for pre-compiled lists. */
export class CapacityTable {
  readonly #rules: Array<[RegExp, number]>
  readonly #fallback: number

  constructor(fallback: number, patterns: ChannelCapacity = {}) {
    this.#fallback = fallback
    const entries = Array.isArray(patterns)
      ? (patterns as ReadonlyArray<readonly [string | RegExp, number]>)
      : Object.entries(patterns)
    this.#rules = entries.map(([pattern, capacity]) => {
      if (!Number.isInteger(capacity) || capacity < 1) {
        throw new RangeError(
          `Channel capacity for ${String(pattern)} must be a positive integer, not ${JSON.stringify(capacity)}.`,
        )
      }
      return [typeof pattern === 'string' ? globToRegExp(pattern) : pattern, capacity]
    })
  }

  /** The capacity of `channel`: the first matching pattern's, else the layer's default. */
  get(channel: string): number {
    for (const [pattern, capacity] of this.#rules) {
      if (pattern.test(channel)) return capacity
    }
    return this.#fallback
  }
}

/** Compiles an fnmatch-style glob (`*`, `?`, `[abc]`) to an anchored RegExp, as Python's `fnmatch.translate`. */
export function globToRegExp(glob: string): RegExp {
  let source = ''
  for (let i = 0; i < glob.length; i++) {
    const char = glob.charAt(i)
    if (char === '*') source += '.*'
    else if (char === '?') source += '.'
    else if (char === '[') {
      const end = glob.indexOf(']', i + 2)
      if (end === -1) {
        source += '\\['
      } else {
        let set = glob.slice(i + 1, end).replaceAll('\\', '\\\\')
        if (set.startsWith('!')) set = `^${set.slice(1)}`
        source += `[${set}]`
        i = end
      }
    } else source += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
  }
  return new RegExp(`^${source}$`, 's')
}

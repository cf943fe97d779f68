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
    if (typeof patterns !== 'object' || patterns === null) {
      throw new TypeError(
        `Channel capacities must be an object or an array of [pattern, capacity] pairs, not ${JSON.stringify(patterns)}.`,
      )
    }
    const entries: ReadonlyArray<readonly [unknown, unknown]> = Array.isArray(patterns)
      ? patterns.map(requirePair)
      : Object.entries(patterns)
    this.#rules = entries.map(([pattern, capacity]) => {
      if (!Number.isInteger(capacity) || (capacity as number) < 1) {
        throw new RangeError(
          `Channel capacity for ${typeof pattern === 'string' ? JSON.stringify(pattern) : String(pattern)} must be a positive integer, not ${JSON.stringify(capacity)}.`,
        )
      }
      return [compilePattern(pattern), capacity as number]
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

/** Compiles an fnmatch-style glob (`*`, `?`, `[abc]`, `[!abc]`) to an anchored RegExp, as Python's `fnmatch.translate`. */
export function globToRegExp(glob: string): RegExp {
  let source = ''
  for (let i = 0; i < glob.length; i++) {
    const char = glob.charAt(i)
    if (char === '*') source += '.*'
    else if (char === '?') source += '.'
    else if (char === '[') {
      // As fnmatch: a `]` right after `[` or `[!` is a member of the set, not its end.
      let j = i + 1
      if (glob.charAt(j) === '!') j++
      if (glob.charAt(j) === ']') j++
      const end = glob.indexOf(']', j)
      if (end === -1) {
        source += '\\['
      } else {
        let set = glob
          .slice(i + 1, end)
          .replaceAll('\\', '\\\\')
          .replaceAll(']', '\\]')
        if (set.startsWith('!')) set = `^${set.slice(1)}`
        else if (set.startsWith('^')) set = `\\${set}`
        source += `[${set}]`
        i = end
      }
    } else source += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
  }
  try {
    return new RegExp(`^${source}$`, 's')
  } catch (error) {
    throw new TypeError(`Invalid channel capacity glob ${JSON.stringify(glob)}.`, { cause: error })
  }
}

// --- helpers ---

function requirePair(entry: unknown): readonly [unknown, unknown] {
  if (!Array.isArray(entry) || entry.length !== 2) {
    throw new TypeError(
      `A channel capacity entry must be a [pattern, capacity] pair, not ${JSON.stringify(entry)}.`,
    )
  }
  return [entry[0], entry[1]]
}

/** A glob becomes an anchored RegExp; a RegExp loses `g`/`y`, whose `lastIndex` would make `test()` stateful. */
function compilePattern(pattern: unknown): RegExp {
  if (typeof pattern === 'string') return globToRegExp(pattern)
  if (pattern instanceof RegExp)
    return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''))
  throw new TypeError(
    `A channel capacity pattern must be a glob string or a RegExp, not ${JSON.stringify(pattern)}.`,
  )
}

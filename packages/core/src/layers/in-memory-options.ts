import { quoteValue } from '../quote-value.js'

/** The options `InMemoryChannelLayer` takes, and what each must be. */
const RULES: Readonly<Record<string, readonly [test: (value: number) => boolean, what: string]>> = {
  expiryMs: [(value) => value > 0 && Number.isFinite(value), 'a positive finite number'],
  groupExpiryMs: [(value) => value > 0 && Number.isFinite(value), 'a positive finite number'],
  capacity: [(value) => Number.isInteger(value) && value > 0, 'a positive integer'],
}

/** Checked by `CapacityTable`, which says what is wrong with it. */
const CHANNEL_CAPACITY = 'channelCapacity'

/**
 * Throws a TypeError naming every option of `options` that is unknown or out of range (an
 * `InMemoryChannelLayer`'s options: Channels' keyword arguments, in milliseconds). A check of
 * its own rather than a zod schema: the layer is made in every process, and zod takes about
 * 3 MB of heap once loaded.
 */
export function checkInMemoryOptions(options: unknown): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw optionsError([`expected an object, got ${quoteValue(options)}`])
  }
  const problems: string[] = []
  for (const [name, value] of Object.entries(options)) {
    if (name === CHANNEL_CAPACITY || value === undefined) continue
    const rule = Object.hasOwn(RULES, name) ? RULES[name] : undefined
    if (rule === undefined) {
      problems.push(`unknown option ${quoteValue(name)}`)
    } else if (typeof value !== 'number' || !rule[0](value)) {
      problems.push(`${name} must be ${rule[1]}, got ${quoteValue(value)}`)
    }
  }
  if (problems.length > 0) throw optionsError(problems)
}

function optionsError(problems: readonly string[]): TypeError {
  return new TypeError(
    `Invalid InMemoryChannelLayer options: ${problems.join('; ')} (known: ${[...Object.keys(RULES), CHANNEL_CAPACITY].join(', ')}).`,
  )
}

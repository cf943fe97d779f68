/**
 * Quoting for error messages. Channels builds its messages with Python's `%r`, so a string
 * shows in single quotes (`No route found for path 'x/'.`); we keep that spelling and escape
 * what could garble a log line (backslashes, quotes, control characters).
 */

/** Quotes a string the way Python's `repr()` does, with JSON's escapes for control characters. */
export function quote(value: string): string {
  const escaped = JSON.stringify(value).slice(1, -1).replaceAll('\\"', '"').replaceAll("'", "\\'")
  return `'${escaped}'`
}

/** Describes any value for an error message: strings quoted as by `quote()`, the rest as JSON where possible. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return quote(value)
  if (typeof value === 'function') return `function ${quote(value.name)}`
  if (value === undefined || typeof value === 'symbol' || typeof value === 'bigint') {
    return String(value)
  }
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    // A cyclic object: its tag is still more useful than nothing.
    return Object.prototype.toString.call(value)
  }
}

/** Longest quotation in a message; a longer one is cut and ends with `...`. */
const MAX_LENGTH = 120

/**
 * Quotes any value for an error message, bounded in length: JSON where possible (strings in
 * double quotes), numbers and bigints as written, a function by its name, binary data by its
 * size, and an object JSON cannot write (a cycle) by its tag. Every package's messages use it.
 */
export function quoteValue(value: unknown): string {
  if (value instanceof Uint8Array) return `a Uint8Array of ${value.byteLength} bytes`
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'symbol') {
    return String(value)
  }
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`
  let text: string
  try {
    text = JSON.stringify(value) ?? String(value)
  } catch {
    text = Object.prototype.toString.call(value)
  }
  return text.length > MAX_LENGTH ? `${text.slice(0, MAX_LENGTH - 3)}...` : text
}

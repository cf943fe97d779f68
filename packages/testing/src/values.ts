/** Quotes any value for an error message, bounded in length. */
export function quote(value: unknown): string {
  if (value instanceof Uint8Array) return `a Uint8Array of ${value.byteLength} bytes`
  if (typeof value === 'number' || typeof value === 'bigint') return String(value)
  let text: string
  try {
    text =
      typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? value)
  } catch {
    text = Object.prototype.toString.call(value)
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text
}

/** Names a value's type for an error message: `string`, `null`, `Uint8Array`, `Array`, ... */
export function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value !== 'object') return typeof value
  return Object.getPrototypeOf(value)?.constructor?.name ?? 'object'
}

/** Joins byte chunks into one Uint8Array. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const total = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0)
  const joined = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    joined.set(chunk, offset)
    offset += chunk.byteLength
  }
  return joined
}

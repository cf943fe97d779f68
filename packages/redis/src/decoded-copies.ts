import type { Message } from '@node-channels/core'

/**
 * What each local receiver of one message gets, by its position: the first the decoded object
 * itself, every further one a copy of its own, so no receiver shares an object with another
 * (as with the in-memory layer, and as in Channels, where each receiver decodes its own). The
 * message is decoded once per process however many of its channels are in the group; a
 * decoded message holds only plain objects, dense arrays, primitives and `Uint8Array`s, with
 * nothing shared or cyclic, so a plain recursive copy (a spread when it is flat) gives what
 * `structuredClone` would, at a fraction of the cost.
 */
export function decodedCopies(message: Message): (index: number) => Message {
  if (isFlat(message)) return (index) => (index === 0 ? message : { ...message })
  return (index) => (index === 0 ? message : (copyTree(message) as Message))
}

function isFlat(message: Message): boolean {
  for (const key in message) {
    const value = message[key]
    if (typeof value === 'object' && value !== null) return false
  }
  return true
}

/** A copy of a decoded value (a tree of plain objects, arrays and `Uint8Array`s, at most 100 deep). */
function copyTree(value: object): object {
  if (value instanceof Uint8Array) return value.slice()
  if (Array.isArray(value)) {
    const out: unknown[] = value.slice()
    for (let index = 0; index < out.length; index++) {
      const item = out[index]
      if (typeof item === 'object' && item !== null) out[index] = copyTree(item)
    }
    return out
  }
  // The decoder refuses a "__proto__" key, so a spread copies every key as a key.
  const out: Record<string, unknown> = { ...value }
  for (const key in out) {
    const item = out[key]
    if (typeof item === 'object' && item !== null) out[key] = copyTree(item)
  }
  return out
}

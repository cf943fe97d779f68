import type { Message } from '@node-channels/core'

/** Decoded messages are at most this deep (the msgpack codec's limit), so the walk is bounded. */
const MAX_DEPTH = 100

/**
 * Deep-freezes a decoded message so receivers can share it, and returns true; returns false,
 * freezing nothing, when it holds binary data (a `Uint8Array` cannot be frozen). Decoded
 * messages hold only plain objects, arrays, primitives and `Uint8Array`s. The same rule as
 * the in-memory layer's: messages received from a layer are frozen unless they carry bytes.
 */
export function freezeMessage(message: Message): boolean {
  const objects: object[] = []
  if (!collect(message, 0, objects)) return false
  for (const object of objects) Object.freeze(object)
  return true
}

/** Gathers every object inside `value` (itself included); false on binary data. */
function collect(value: object, depth: number, objects: object[]): boolean {
  if (value instanceof Uint8Array) return false
  if (depth > MAX_DEPTH) {
    throw new RangeError(`A message to freeze is nested deeper than ${MAX_DEPTH} levels.`)
  }
  objects.push(value)
  if (Array.isArray(value)) {
    for (const item of value) {
      if (typeof item === 'object' && item !== null && !collect(item, depth + 1, objects)) {
        return false
      }
    }
    return true
  }
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key]
    if (typeof item === 'object' && item !== null && !collect(item, depth + 1, objects)) {
      return false
    }
  }
  return true
}

/**
 * What each local receiver of one group message gets, by its position: the same frozen
 * object when it can be frozen, else (binary data inside) a copy each, the first receiver
 * taking the decoded original. Channels deep-copies per receiver; sharing a frozen copy costs
 * one decode per process, however many of its channels are in the group.
 */
export function sharedCopies(message: Message): (index: number) => Message {
  if (freezeMessage(message)) return () => message
  return (index) => (index === 0 ? message : structuredClone(message))
}

import type { Message } from '../types.js'
import { describe } from './names.js'

/**
 * Checks that a value is a message a channel layer can carry: a plain object with a string
 * `type`, and no `__asgi_channel__` key (reserved by the channel layer spec).
 */
export function requireLayerMessage(message: unknown): Message {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    throw new TypeError(`A channel layer message must be an object, not ${describe(message)}.`)
  }
  if (typeof (message as { type?: unknown }).type !== 'string') {
    throw new TypeError(
      `A channel layer message must have a string "type", not ${describe((message as { type?: unknown }).type)}.`,
    )
  }
  if (Object.hasOwn(message, '__asgi_channel__')) {
    throw new TypeError(
      'A channel layer message must not contain the reserved key "__asgi_channel__".',
    )
  }
  return message as Message
}

/** Deep-copies a message, turning a non-serialisable value into a TypeError that says where it is. */
export function copyMessage(message: Message): Message {
  try {
    return structuredClone(message)
  } catch (error) {
    let found: { path: string; kind: string } | undefined
    try {
      found = findUncloneable(message)
    } catch {
      // A getter that throws: the clone error below says what happened.
      found = undefined
    }
    const reason = String(error instanceof Error ? error.message : error)
    const detail = found
      ? `${found.path} is a ${found.kind}`
      : `it could not be copied (${reason.length > 120 ? `${reason.slice(0, 117)}...` : reason})`
    throw new TypeError(
      `A channel layer message must contain only serialisable values, but ${detail}.`,
      { cause: error },
    )
  }
}

// --- helpers ---

const MAX_VISITS = 10_000

/** Finds the first function or symbol inside a message, as a path such as `message.data[2].callback`. */
function findUncloneable(message: Message): { path: string; kind: string } | undefined {
  const seen = new Set<object>()
  const pending: Array<[value: unknown, path: string]> = [[message, 'message']]
  for (let visits = 0; visits < MAX_VISITS; visits++) {
    const next = pending.shift()
    if (!next) return undefined
    const [value, path] = next
    if (typeof value === 'function' || typeof value === 'symbol')
      return { path, kind: typeof value }
    if (typeof value !== 'object' || value === null || seen.has(value)) continue
    seen.add(value)
    if (ArrayBuffer.isView(value)) continue
    const entries: Array<[string, unknown]> = Array.isArray(value)
      ? value.map((item, index) => [`[${index}]`, item])
      : Object.entries(value).map(([key, item]) => [
          /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`,
          item,
        ])
    for (const [step, item] of entries) pending.push([item, `${path}${step}`])
  }
  return undefined
}

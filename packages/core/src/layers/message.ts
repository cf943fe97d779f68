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

/** Deep-copies a message, turning a non-serialisable value into a TypeError that says what was wrong. */
export function copyMessage(message: Message): Message {
  try {
    return structuredClone(message)
  } catch (error) {
    throw new TypeError(
      `A channel layer message must contain only serialisable values (${(error as Error).message}).`,
      { cause: error },
    )
  }
}

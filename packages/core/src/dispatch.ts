import { describe as quote } from './layers/names.js'
import type { Message } from './types.js'

// One or more lower-case words joined by underscores, never a leading underscore. Requiring
// an underscore keeps dispatched handlers (`chat_message`) apart from every framework method,
// which is camelCase (`send`, `close`, `sendJson`): no message type can reach one.
const HANDLER_NAME = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$/
// Prototype chains are short; the bound only guards against a pathological object.
const MAX_PROTOTYPE_DEPTH = 64

/** `'chat.message'` -> `'chat_message'`, at the type level. */
export type HandlerName<T extends string> = T extends `${infer Head}.${infer Tail}`
  ? `${Head}_${HandlerName<Tail>}`
  : T

/** The handler methods a consumer must define for a union of messages (sync or async). */
export type HandlersFor<TMessage extends Message> = {
  [K in TMessage as HandlerName<K['type']>]: (message: K) => void | Promise<void>
}

/**
 * A message whose type names no handler: the name breaks the naming rule, or the consumer
 * has no such method. Mirrors Channels' `ValueError("No handler for message type ...")`.
 */
export class NoHandlerError extends TypeError {
  override name = 'NoHandlerError'
  /** The message's `type`. */
  readonly messageType: string

  constructor(messageType: string, message: string) {
    super(message)
    this.messageType = messageType
  }
}

/**
 * Returns the handler name for a message: `chat.message` -> `chat_message` (every dot
 * becomes `_`). Throws a TypeError for a message without a string `type` or whose name has
 * a leading underscore (Django's messages), and a `NoHandlerError` for a name that breaks
 * the rule `^[a-z][a-z0-9]*(_[a-z0-9]+)+$`. Mirrors `channels.consumer.get_handler_name`.
 */
export function getHandlerName(message: unknown): string {
  if (typeof message !== 'object' || message === null || !('type' in message)) {
    throw new TypeError(`Incoming message has no 'type' attribute: ${quote(message)}`)
  }
  const type = message.type
  if (typeof type !== 'string') {
    throw new TypeError(`Malformed type in message: the type must be a string, not ${quote(type)}.`)
  }
  const name = type.replaceAll('.', '_')
  if (name.startsWith('_')) {
    throw new TypeError(`Malformed type in message (leading underscore): ${quote(type)}`)
  }
  if (!HANDLER_NAME.test(name)) {
    throw new NoHandlerError(
      type,
      `No handler for message type ${quote(type)}: a handler name must match ` +
        `${HANDLER_NAME.source} once every "." is replaced by "_".`,
    )
  }
  return name
}

/**
 * Finds the method called `name` on an object or its prototype chain, stopping before
 * `Object.prototype`. Only functions count, getters are never called, and a non-function
 * property shadows any method of that name further up the chain.
 */
export function findHandler(target: object, name: string): ((message: Message) => unknown) | null {
  let current: object | null = target
  for (let depth = 0; depth < MAX_PROTOTYPE_DEPTH; depth++) {
    if (current === null || current === Object.prototype) return null
    const descriptor = Object.getOwnPropertyDescriptor(current, name)
    if (descriptor) return typeof descriptor.value === 'function' ? descriptor.value : null
    current = Object.getPrototypeOf(current)
  }
  return null
}

/**
 * Calls the handler of `target` that matches the message's type and returns its result.
 * Mirrors `AsyncConsumer.dispatch`, minus Django's reach into every attribute.
 */
export function dispatchTo(target: object, message: Message): unknown {
  const name = getHandlerName(message)
  const handler = findHandler(target, name)
  if (handler === null) {
    throw new NoHandlerError(message.type, `No handler for message type ${message.type}`)
  }
  return handler.call(target, message)
}

/** Reads one message; must settle (reject) once the signal aborts. */
export type MessageSource = (signal: AbortSignal) => PromiseLike<Message>

type Outcome =
  | { index: number; ok: true; value: Message }
  | { index: number; ok: false; reason: unknown }

/**
 * Reads from every source at once and dispatches messages one at a time, in arrival order,
 * until a read or `dispatch` throws; then aborts the outstanding reads and waits for them to
 * settle. Each source reads at most one message ahead: its next read starts when its last
 * message is taken for dispatch, so a slow handler never makes the consumer drain its layer
 * channel (capacity still pushes back) or the server's input queue. Mirrors
 * `channels.utils.await_many_dispatch`, which dispatches finished reads in list order instead.
 */
export async function awaitManyDispatch(
  sources: readonly MessageSource[],
  dispatch: (message: Message) => Promise<void>,
): Promise<void> {
  const controller = new AbortController()
  const ready: Outcome[] = []
  const reads = new Set<Promise<void>>()
  let wake: (() => void) | null = null

  const read = (index: number, source: MessageSource): void => {
    const settled = settle(() => source(controller.signal)).then((outcome) => {
      reads.delete(settled)
      ready.push({ index, ...outcome })
      wake?.()
    })
    reads.add(settled)
  }

  for (const [index, source] of sources.entries()) read(index, source)
  try {
    for (;;) {
      while (ready.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve
        })
        wake = null
      }
      const next = ready.shift() as Outcome
      if (!next.ok) throw next.reason
      read(next.index, sources[next.index] as MessageSource)
      await dispatch(next.value)
    }
  } finally {
    controller.abort()
    await Promise.all(reads)
  }
}

/**
 * Returns a promise that settles like `promise`, or rejects with the signal's reason once it
 * aborts. A later rejection of `promise` is swallowed, so it can never go unhandled.
 */
export function abortable<T>(promise: PromiseLike<T>, signal: AbortSignal): Promise<T> {
  const wrapped = Promise.resolve(promise)
  if (signal.aborted) {
    wrapped.catch(() => undefined)
    return Promise.reject(signal.reason)
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    wrapped.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (reason: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(reason)
      },
    )
  })
}

// --- helpers ---

/** Runs a read and captures its outcome, including a synchronous throw. */
async function settle(
  run: () => PromiseLike<Message>,
): Promise<{ ok: true; value: Message } | { ok: false; reason: unknown }> {
  try {
    return { ok: true, value: await run() }
  } catch (reason) {
    return { ok: false, reason }
  }
}

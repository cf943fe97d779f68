import { quoteValue as quote } from './quote-value.js'
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
  return handlerFor(target, message).call(target, message)
}

/**
 * The handler `dispatchTo` calls for a message, found as `getHandlerName` + `findHandler`
 * would find it, through a per-class cache: the first message of a type walks the prototype
 * chain, later ones reuse what it found while it is still what the chain holds.
 */
export function handlerFor(target: object, message: Message): (message: Message) => unknown {
  const type = typeof message === 'object' && message !== null ? message.type : undefined
  const prototype = Object.getPrototypeOf(target) as object | null
  const cached = typeof type === 'string' ? cachedHandler(target, prototype, type) : null
  if (cached !== null) return cached
  const name = getHandlerName(message)
  const handler = findHandler(target, name)
  if (handler === null) {
    throw new NoHandlerError(message.type, `No handler for message type ${message.type}`)
  }
  // Only a handler the prototype chain provides is cached: an instance field belongs to one
  // instance, and a missing handler is an error, whose message must say so every time.
  if (prototype !== null && prototype !== Object.prototype && !Object.hasOwn(target, name)) {
    let byType = HANDLERS.get(prototype)
    if (byType === undefined) {
      byType = new Map()
      HANDLERS.set(prototype, byType)
    }
    const entry = { name, handler }
    byType.set(message.type, entry)
    remember(prototype, message.type, entry)
  }
  return handler
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

// --- helpers ---

/** A handler found on a prototype chain, and the name it was found under. */
type HandlerEntry = { name: string; handler: (message: Message) => unknown }

/** Per prototype (one per class): message type -> the handler its chain held for it. */
const HANDLERS = new WeakMap<object, Map<string, HandlerEntry>>()

/**
 * The last prototype and type `cachedHandler` found an entry for, and that entry: the members
 * of a group that one send reaches share all three, so they skip both map lookups. (It keeps
 * that one prototype alive, whatever else the weak map lets go.)
 */
let lastPrototype: object | null = null
let lastType: string | null = null
let lastEntry: HandlerEntry | null = null

/** Makes `entry` the one `cachedHandler` tries first. */
function remember(prototype: object, type: string, entry: HandlerEntry): void {
  lastPrototype = prototype
  lastType = type
  lastEntry = entry
}

/**
 * The cached handler for `type`, or null to look it up again. The entry holds while the
 * instance still resolves the name to the same function (a plain read, through its own
 * properties and then its prototype chain), so an instance field, or a method added,
 * replaced or spied on after the first message of that type, is seen; a subclass has its
 * own entries (its prototype is another key). Only an accessor installed afterwards under a
 * handler's name would be read here, where the slow path never calls a getter.
 */
function cachedHandler(
  target: object,
  prototype: object | null,
  type: string,
): ((message: Message) => unknown) | null {
  if (prototype === null) return null
  let entry: HandlerEntry | null | undefined = lastEntry
  if (prototype !== lastPrototype || type !== lastType) {
    entry = HANDLERS.get(prototype)?.get(type)
    if (entry === undefined) return null
    remember(prototype, type, entry)
  }
  const { name, handler } = entry as HandlerEntry
  return (target as Record<string, unknown>)[name] === handler ? handler : null
}

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

import { getHandlerName } from './dispatch.js'
import { quoteValue as quote } from './quote-value.js'
import type { Message } from './types.js'

/** A relay: what to send the client for one message type, made from the message alone. */
export type Relay = (event: Message) => unknown

/** A consumer class's relays, by message type (`AsyncConsumer.relays`). */
export type Relays = Readonly<Record<string, Relay>>

/** The static side of a consumer class, as far as relays go. */
export interface RelayingClass {
  readonly name: string
  readonly prototype: object
  readonly relays: Relays
  relayMessage(output: unknown): Message
}

/** One relayed message type of one consumer class: the handler installed for it, and how it builds what it sends. */
export class RelayEntry {
  /** The handler name (`chat_message`), installed on the declaring class's prototype. */
  readonly name: string
  /** The installed handler: sends `build(message)` through `baseSend`. */
  readonly handler: (message: Message) => unknown
  readonly #relay: Relay
  readonly #owner: RelayingClass

  constructor(owner: RelayingClass, name: string, relay: Relay) {
    this.#owner = owner
    this.name = name
    this.#relay = relay
    const build = (message: Message): Message => this.build(message)
    this.handler = function relayHandler(
      this: { baseSend(message: Message): Promise<void> },
      message: Message,
    ) {
      return this.baseSend(build(message))
    }
  }

  /** The ASGI message the relay sends for `event`; throws what the relay or the class's `relayMessage` throws. */
  build(event: Message): Message {
    return this.#owner.relayMessage(this.#relay(event))
  }
}

/**
 * What one group send built for each relay, so that its members share one outgoing message
 * (and the server one frame) instead of running a handler each. Handed by a layer to the
 * receivers that can take a relayed message (`ChannelReceiver.relay`).
 */
export class RelayMemo {
  readonly #message: Message
  readonly #copy: (message: Message) => Message
  /** The last table asked about and what it gave: the members of one class share both. */
  #lastTable: RelayTable | null = null
  #lastBuilt: Message | null = null
  #entries: RelayEntry[] = []
  #built: (Message | null)[] = []

  /**
   * `message`: the layer's own copy, which no receiver has changed yet; `copy` makes a copy
   * of it as the layer would for one more receiver.
   */
  constructor(message: Message, copy: (message: Message) => Message) {
    this.#message = message
    this.#copy = copy
  }

  /**
   * What a consumer with relay table `table` sends for this message: built once per relay
   * (from a copy of its own, so a relay that changes its argument changes no member's
   * message). Null when the table does not relay this type, or building threw: the member
   * then gets the message the usual way, and its handler fails as it would.
   */
  builtFor(table: RelayTable): Message | null {
    if (table === this.#lastTable) return this.#lastBuilt
    const entry = table.get(this.#message.type)
    const built = entry === undefined ? null : this.#build(entry)
    this.#lastTable = table
    this.#lastBuilt = built
    return built
  }

  #build(entry: RelayEntry): Message | null {
    const entries = this.#entries
    for (let i = 0; i < entries.length; i++) {
      if (entries[i] === entry) return this.#built[i] ?? null
    }
    let built: Message | null
    try {
      built = entry.build(this.#copy(this.#message))
    } catch {
      built = null
    }
    entries.push(entry)
    this.#built.push(built)
    return built
  }
}

/** The relays a consumer class can take on the fast path, by message type; null when it has none. */
export type RelayTable = ReadonlyMap<string, RelayEntry>

/**
 * The relay table that holds for one consumer instance: its class's, less any type whose
 * handler the instance resolves to something else (an own property set in its constructor,
 * a method replaced on a prototype since). Resolved when its connection opens.
 */
export function instanceRelayTable(instance: object, table: RelayTable): RelayTable | null {
  let kept: Map<string, RelayEntry> | null = null
  for (const [type, entry] of table) {
    if ((instance as Record<string, unknown>)[entry.name] === entry.handler) continue
    kept ??= new Map(table)
    kept.delete(type)
  }
  if (kept === null) return table
  return kept.size > 0 ? kept : null
}

/**
 * A misdeclared `relays`: not an object of functions, a type no handler name can be made of,
 * or a type whose handler the same class also defines as a method.
 */
export class InvalidRelaysError extends TypeError {
  override name = 'InvalidRelaysError'
}

/**
 * The relay table of a consumer class, built on first use: every class of its chain that
 * declares `relays` of its own has a handler installed on its prototype for each type
 * (`chat.message` -> `chat_message`), and a type is in the table when the class's prototype
 * chain resolves that handler name to an installed relay handler (a subclass method of the
 * same name wins, as methods do). Throws an `InvalidRelaysError` for a bad declaration.
 */
export function relayTableOf(consumerClass: RelayingClass): RelayTable | null {
  const known = TABLES.get(consumerClass)
  if (known !== undefined) return known
  const chain: RelayingClass[] = []
  for (
    let current: unknown = consumerClass;
    typeof current === 'function' && current !== Function.prototype;
    current = Object.getPrototypeOf(current)
  ) {
    chain.unshift(current as unknown as RelayingClass)
  }
  const types = new Set<string>()
  for (const owner of chain) {
    if (!Object.hasOwn(owner, 'relays')) continue
    for (const type of installRelays(owner)) types.add(type)
  }
  let table: Map<string, RelayEntry> | null = null
  for (const type of types) {
    const name = type.replaceAll('.', '_')
    const handler = (consumerClass.prototype as Record<string, unknown>)[name]
    const entry = typeof handler === 'function' ? INSTALLED.get(handler) : undefined
    if (entry === undefined) continue
    table ??= new Map()
    table.set(type, entry)
  }
  TABLES.set(consumerClass, table)
  return table
}

// --- helpers ---

/** Per consumer class: its relay table (null: none). */
const TABLES = new WeakMap<object, RelayTable | null>()
/** Installed relay handlers, to the entry each belongs to. */
const INSTALLED = new WeakMap<object, RelayEntry>()

/** Checks `owner.relays` and installs a handler for each type on `owner.prototype`; returns the types. */
function installRelays(owner: RelayingClass): string[] {
  const relays: unknown = owner.relays
  if (typeof relays !== 'object' || relays === null || Array.isArray(relays)) {
    throw new InvalidRelaysError(
      `${owner.name}.relays must be an object of functions by message type, not ${quote(relays)}.`,
    )
  }
  const types = Object.keys(relays)
  for (const type of types) {
    const relay = (relays as Record<string, unknown>)[type]
    if (typeof relay !== 'function') {
      throw new InvalidRelaysError(
        `${owner.name}.relays[${quote(type)}] must be a function, not ${quote(relay)}.`,
      )
    }
    let name: string
    try {
      name = getHandlerName({ type })
    } catch (error) {
      throw new InvalidRelaysError(
        `${owner.name}.relays has a type no handler can be named for: ${(error as Error).message}`,
      )
    }
    const prototype = owner.prototype
    const own = Object.getOwnPropertyDescriptor(prototype, name)
    if (own !== undefined) {
      // Installed already (the table of a subclass was built first).
      if (INSTALLED.has(own.value as object)) continue
      throw new InvalidRelaysError(
        `${owner.name} relays ${quote(type)} and also defines ${name}(): keep one of the two.`,
      )
    }
    const entry = new RelayEntry(owner, name, relay as Relay)
    INSTALLED.set(entry.handler, entry)
    Object.defineProperty(prototype, name, {
      value: entry.handler,
      writable: true,
      configurable: true,
      enumerable: false,
    })
  }
  return types
}

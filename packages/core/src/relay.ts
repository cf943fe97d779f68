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

/** One declared relay: the handler installed for it on the declaring class's prototype. */
class RelayEntry {
  /** The handler name (`chat_message`). */
  readonly name: string
  /** What the relay makes of a message. */
  readonly relay: Relay
  /**
   * The installed handler: sends what the relay makes of the message, finished by the
   * consumer's own class (`relayMessage`), through `baseSend`.
   */
  readonly handler: (message: Message) => unknown

  constructor(name: string, relay: Relay) {
    this.name = name
    this.relay = relay
    this.handler = function relayHandler(
      this: { baseSend(message: Message): Promise<void>; constructor: unknown },
      message: Message,
    ) {
      return this.baseSend((this.constructor as RelayingClass).relayMessage(relay(message)))
    }
  }
}

/**
 * The relays one consumer class (or one instance of it) takes on the fast path, by message
 * type: what its members build for a group message, the same for all of them.
 */
export class RelayTable {
  /** The class whose `relayMessage` finishes what the relays make. */
  readonly consumerClass: RelayingClass
  readonly #entries: ReadonlyMap<string, RelayEntry>

  constructor(consumerClass: RelayingClass, entries: ReadonlyMap<string, RelayEntry>) {
    this.consumerClass = consumerClass
    this.#entries = entries
  }

  /** The message types relayed. */
  get types(): string[] {
    return [...this.#entries.keys()]
  }

  /** What is sent for `event`; undefined when its type is not relayed here. Throws what the relay or `relayMessage` throws. */
  build(event: Message): Message | undefined {
    const entry = this.#entries.get(event.type)
    return entry === undefined ? undefined : this.consumerClass.relayMessage(entry.relay(event))
  }

  /**
   * The table that holds for one instance: this one, less any type whose handler the instance
   * resolves to something else (an own property set in its constructor, a method replaced on
   * a prototype since); null when none is left. Resolved when its connection opens.
   */
  forInstance(instance: object): RelayTable | null {
    let kept: Map<string, RelayEntry> | null = null
    for (const [type, entry] of this.#entries) {
      if ((instance as Record<string, unknown>)[entry.name] === entry.handler) continue
      kept ??= new Map(this.#entries)
      kept.delete(type)
    }
    if (kept === null) return this
    return kept.size > 0 ? new RelayTable(this.consumerClass, kept) : null
  }
}

/**
 * What one group send built for each relay table, so that its members share one outgoing
 * message (and the server one frame) instead of running a handler each. Handed by a layer
 * to the receivers that can take a relayed message (`ChannelReceiver.relay`).
 */
export class RelayMemo {
  readonly #message: Message
  readonly #copy: (message: Message) => Message
  /** The last table asked about and what it gave: the members of one class share both. */
  #lastTable: RelayTable | null = null
  #lastBuilt: Message | null = null
  #tables: RelayTable[] = []
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
   * What a consumer with relay table `table` sends for this message: built once per table
   * (from a copy of its own, so a relay that changes its argument changes no member's
   * message). Null when the table does not relay this type, or building threw: the member
   * then gets the message the usual way, and its handler fails as it would.
   */
  builtFor(table: RelayTable): Message | null {
    if (table === this.#lastTable) return this.#lastBuilt
    const built = this.#build(table)
    this.#lastTable = table
    this.#lastBuilt = built
    return built
  }

  #build(table: RelayTable): Message | null {
    const tables = this.#tables
    for (let i = 0; i < tables.length; i++) {
      if (tables[i] === table) return this.#built[i] ?? null
    }
    let built: Message | null
    try {
      built = table.build(this.#copy(this.#message)) ?? null
    } catch {
      built = null
    }
    tables.push(table)
    this.#built.push(built)
    return built
  }
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
  const entries = new Map<string, RelayEntry>()
  for (const type of types) {
    const name = type.replaceAll('.', '_')
    const handler = (consumerClass.prototype as Record<string, unknown>)[name]
    const entry = typeof handler === 'function' ? INSTALLED.get(handler) : undefined
    if (entry !== undefined) entries.set(type, entry)
  }
  const table = entries.size > 0 ? new RelayTable(consumerClass, entries) : null
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
    const entry = new RelayEntry(name, relay as Relay)
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

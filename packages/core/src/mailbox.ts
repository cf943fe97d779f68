import type { ChannelLayer, ChannelReceiver } from './channel-layer.js'
import type { RelayMemo } from './relay.js'
import { type Message, type Receive, type ServerPort, serverPortOf } from './types.js'

/**
 * Where a mailbox gets messages from: one read in flight at most, started by `arm()`. The
 * mailbox keeps a source's one ready item on the source itself, linked in arrival order.
 */
interface MailboxSource {
  /** Starts the next read; its result goes to `Mailbox.deliver()` or `Mailbox.fail()`. */
  arm(): void
  /** Gives up the read in flight, if any (the mailbox is closed). */
  cancel(): void
  /** The item read and not yet taken (the mailbox's field). */
  held: Message | ReadFailure | null
  /** The next source with an item ready (the mailbox's field). */
  next: MailboxSource | null
  /** Whether an item this source read may be on its way (a promise settling, a hand-over due). */
  readonly pending: boolean
}

/** A layer with the in-memory layer's fast path (`InMemoryChannelLayer.receiveInto`). */
interface ReceiveIntoLayer extends ChannelLayer {
  receiveInto(channel: string, receiver: ChannelReceiver): void
  cancelReceive(channel: string, receiver: ChannelReceiver): boolean
}

/** A failed read, queued in arrival order like a message. */
class ReadFailure {
  readonly reason: unknown
  constructor(reason: unknown) {
    this.reason = reason
  }
}

/** The abort reason of a consumer's layer reads once it has ended (a shared value, not an Error). */
const ENDED: unique symbol = Symbol('consumer ended')

/** A mailbox as its sources see it, whoever its reader is. */
interface SourceMailbox {
  deliver(source: MailboxSource, message: Message): void
  fail(source: MailboxSource, reason: unknown): void
  relay(memo: RelayMemo): boolean
}

/**
 * One consumer's inbox: messages from every source, in arrival order, for a dispatcher that
 * takes them one at a time. Each source reads at most one message ahead: its next read
 * starts when its last message is taken, so a slow handler never drains the layer channel
 * (capacity still pushes back) or the server's input queue. Long-lived readers and one
 * cancellation for the consumer's whole life replace a promise, an abort listener and an
 * outcome object per message. The strategy of `awaitManyDispatch`, without its allocations.
 */
export class Mailbox<TReader = unknown> {
  /** The sources with an item ready, oldest first (a list through `MailboxSource.next`). */
  #head: MailboxSource | null = null
  #tail: MailboxSource | null = null
  #client: MailboxSource | null = null
  #layer: MailboxSource | null = null
  /** Who reads this mailbox (a consumer), passed to `#wake` and `#relay`. */
  readonly #reader: TReader
  readonly #wake: (reader: TReader) => void
  readonly #relay: ((reader: TReader, memo: RelayMemo) => boolean) | null
  #asleep = false
  #closed = false

  /**
   * `wake(reader)` is called once per `sleep()`, when the next message (or failure) is
   * queued. `relay(reader, memo)`, given when the reader's class has relays (see
   * `AsyncConsumer.relays`), sends a relayed group message straight to the client or returns
   * false. Shared functions and the reader, rather than callbacks bound to it, so that a
   * connection keeps no closure for either.
   */
  constructor(
    reader: TReader,
    wake: (reader: TReader) => void,
    relay: ((reader: TReader, memo: RelayMemo) => boolean) | null = null,
  ) {
    this.#reader = reader
    this.#wake = wake
    this.#relay = relay
  }

  /**
   * Reads the application's `receive()`, one event ahead: through the server's port
   * (`receive[kServerPort]`) when it has one (no promise per event), else through `receive()`.
   */
  addReceive(receive: Receive): void {
    if (this.#client !== null) throw new TypeError('This mailbox already reads receive().')
    const port = serverPortOf(receive, 'receiveInto')
    this.#client =
      port !== null ? new ServerPushSource(this, port) : new ReceiveSource(this, receive)
    this.#client.arm()
  }

  /**
   * Reads a layer channel, one message ahead: through `receiveInto()` when the layer has it
   * (the in-memory layer), else through `receive()` with one abort signal for every read.
   */
  addLayer(layer: ChannelLayer, channel: string): void {
    if (this.#layer !== null) throw new TypeError('This mailbox already reads a layer channel.')
    this.#layer = hasReceiveInto(layer)
      ? new ReceiveIntoSource(this, layer, channel)
      : new LayerReceiveSource(this, layer, channel)
    this.#layer.arm()
  }

  /**
   * Takes the next message, starting that source's next read; undefined when none is
   * ready. A failed read is thrown here, in its arrival order.
   */
  take(): Message | undefined {
    const source = this.#head
    if (source === null) return undefined
    this.#head = source.next
    if (this.#head === null) this.#tail = null
    const item = source.held
    source.held = null
    source.next = null
    if (item instanceof ReadFailure) throw item.reason
    source.arm()
    return item ?? undefined
  }

  /**
   * Wakes the reader (see the constructor) once, when the next message (or failure) is
   * queued; for a reader whose `take()` found nothing. Every source queues from a microtask
   * of its own (a promise reaction, or the shared hand-over), never inside the call of
   * whoever sent the message, so the wake-up may run a handler at once.
   */
  sleep(): void {
    if (this.#head !== null) throw new TypeError('A message is ready: take it instead of sleeping.')
    this.#asleep = true
  }

  /** Whether the reader sleeps: every message taken was handled, and nothing waits to be taken. */
  get asleep(): boolean {
    return this.#asleep
  }

  /**
   * Offers a relayed group message (see `ChannelReceiver.relay`): taken only while the
   * reader sleeps and no client event is on its way, so it overtakes nothing.
   */
  relay(memo: RelayMemo): boolean {
    const relay = this.#relay
    if (relay === null || !this.#asleep || this.#client === null || this.#client.pending) {
      return false
    }
    return relay(this.#reader, memo)
  }

  /** Stops every source: reads in flight are given up and later results dropped. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    for (let source = this.#head; source !== null; source = source.next) source.held = null
    this.#head = null
    this.#tail = null
    this.#asleep = false
    this.#client?.cancel()
    this.#layer?.cancel()
  }

  /** Queues a message read by `source`. */
  deliver(source: MailboxSource, message: Message): void {
    this.#queue(source, message)
  }

  /** Queues the error a read of `source` failed with. */
  fail(source: MailboxSource, reason: unknown): void {
    this.#queue(source, new ReadFailure(reason))
  }

  #queue(source: MailboxSource, item: Message | ReadFailure): void {
    // A closed mailbox drops what still arrives. A second item before the first is taken
    // cannot happen (one arm(), one result); the check keeps the list a list regardless.
    if (this.#closed || source.held !== null) return
    source.held = item
    if (this.#tail === null) this.#head = source
    else this.#tail.next = source
    this.#tail = source
    if (this.#asleep) {
      this.#asleep = false
      this.#wake(this.#reader)
    }
  }
}

// --- sources ---

/** The application's `receive()`: one promise per event is the server's; ours is one `then`. */
class ReceiveSource implements MailboxSource {
  held: Message | ReadFailure | null = null
  next: MailboxSource | null = null
  /** A promise may have settled, its reaction still to come: this source cannot tell. */
  get pending(): boolean {
    return true
  }
  readonly #mailbox: SourceMailbox
  readonly #receive: Receive
  readonly #onMessage = (message: Message): void => this.#mailbox.deliver(this, message)
  readonly #onError = (reason: unknown): void => this.#mailbox.fail(this, reason)

  constructor(mailbox: SourceMailbox, receive: Receive) {
    this.#mailbox = mailbox
    this.#receive = receive
  }

  arm(): void {
    let read: PromiseLike<Message>
    try {
      read = this.#receive()
    } catch (error) {
      this.#mailbox.fail(this, error)
      return
    }
    // A result after the mailbox closed is dropped there, so it is never unhandled.
    Promise.resolve(read).then(this.#onMessage, this.#onError)
  }

  cancel(): void {
    // The server's receive cannot be withdrawn; its result is dropped.
  }
}

/** Any layer's `receive()`, with one AbortController for the consumer's whole life. */
class LayerReceiveSource implements MailboxSource {
  held: Message | ReadFailure | null = null
  next: MailboxSource | null = null
  /** A promise may have settled, its reaction still to come: this source cannot tell. */
  get pending(): boolean {
    return true
  }
  readonly #mailbox: SourceMailbox
  readonly #layer: ChannelLayer
  readonly #channel: string
  readonly #controller = new AbortController()
  readonly #options = { signal: this.#controller.signal }
  readonly #onMessage = (message: Message): void => this.#mailbox.deliver(this, message)
  readonly #onError = (reason: unknown): void => this.#mailbox.fail(this, reason)

  constructor(mailbox: SourceMailbox, layer: ChannelLayer, channel: string) {
    this.#mailbox = mailbox
    this.#layer = layer
    this.#channel = channel
  }

  arm(): void {
    let read: PromiseLike<Message>
    try {
      read = this.#layer.receive(this.#channel, this.#options)
    } catch (error) {
      this.#mailbox.fail(this, error)
      return
    }
    Promise.resolve(read).then(this.#onMessage, this.#onError)
  }

  cancel(): void {
    // A reason given, so abort() creates no DOMException; the layer releases its waiter.
    this.#controller.abort(ENDED)
  }
}

/**
 * A source that is handed its items by a call (`deliver`/`fail`), not a promise: the
 * in-memory layer's `receiveInto()` and the server's `ServerPort.receiveInto()`. What it is
 * handed is queued one microtask later, as a settled promise would be, so events keep their
 * order against the other sources and no handler runs inside the caller's call. The
 * hand-overs of one turn share that microtask (a group send to a thousand members schedules
 * one, not a thousand).
 */
abstract class PushSource implements MailboxSource, ChannelReceiver {
  held: Message | ReadFailure | null = null
  next: MailboxSource | null = null
  /** The mailbox this source queues in. */
  protected readonly mailbox: SourceMailbox
  /** What was handed over, until the microtask queues it (one read: one at most). */
  #received: Message | ReadFailure | null = null

  constructor(mailbox: SourceMailbox) {
    this.mailbox = mailbox
  }

  abstract arm(): void
  abstract cancel(): void

  get pending(): boolean {
    return this.#received !== null
  }

  deliver(message: Message): void {
    this.#received = message
    handOverLater(this)
  }

  fail(reason: unknown): void {
    this.#received = new ReadFailure(reason)
    handOverLater(this)
  }

  /** Queues what was handed over in the mailbox (called by `handOverAll`). */
  handOver(): void {
    const received = this.#received
    this.#received = null
    if (received instanceof ReadFailure) this.mailbox.fail(this, received.reason)
    else if (received !== null) this.mailbox.deliver(this, received)
  }
}

/** The in-memory layer's fast path: this object is the channel's waiter, message after message. */
class ReceiveIntoSource extends PushSource {
  readonly #layer: ReceiveIntoLayer
  readonly #channel: string

  constructor(mailbox: SourceMailbox, layer: ReceiveIntoLayer, channel: string) {
    super(mailbox)
    this.#layer = layer
    this.#channel = channel
  }

  arm(): void {
    this.#layer.receiveInto(this.#channel, this)
  }

  cancel(): void {
    this.#layer.cancelReceive(this.#channel, this)
  }

  relay(memo: RelayMemo): boolean {
    return this.mailbox.relay(memo)
  }
}

/** The server's fast path for the application's events (`ServerPort.receiveInto`). */
class ServerPushSource extends PushSource {
  readonly #port: ServerPort

  constructor(mailbox: SourceMailbox, port: ServerPort) {
    super(mailbox)
    this.#port = port
  }

  arm(): void {
    try {
      this.#port.receiveInto(this)
    } catch (error) {
      this.fail(error)
    }
  }

  cancel(): void {
    // Like receive(), the server's read cannot be withdrawn; its result is dropped.
  }
}

/** Sources holding a hand-over for the next `handOverAll`, in the order they got them. */
const handOvers: PushSource[] = []
const SETTLED: Promise<void> = Promise.resolve()

/** Schedules `source.handOver()`: one microtask (a settled promise's, lighter than `queueMicrotask`) serves a whole turn. */
function handOverLater(source: PushSource): void {
  if (handOvers.push(source) === 1) SETTLED.then(handOverAll)
}

function handOverAll(): void {
  // Indexed: a hand-over made meanwhile (none is expected: queueing runs no handler) is served too.
  for (let i = 0; i < handOvers.length; i++) handOvers[i]?.handOver()
  handOvers.length = 0
}

/**
 * Whether to read `layer` through `receiveInto()`: it has the fast path, and `receive()` is
 * the one that came with it. A subclass (or an instance) that overrides `receive()` alone,
 * to observe or change it, is read through its `receive()`.
 */
function hasReceiveInto(layer: ChannelLayer): layer is ReceiveIntoLayer {
  const candidate = layer as Partial<ReceiveIntoLayer>
  if (
    typeof candidate.receiveInto !== 'function' ||
    typeof candidate.cancelReceive !== 'function'
  ) {
    return false
  }
  let owner: object | null = layer
  for (let depth = 0; owner !== null && depth < 64; depth++) {
    if (Object.hasOwn(owner, 'receiveInto'))
      return (owner as ChannelLayer).receive === layer.receive
    owner = Object.getPrototypeOf(owner) as object | null
  }
  return false
}

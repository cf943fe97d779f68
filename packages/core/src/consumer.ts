import { AsyncResource } from 'node:async_hooks'
import type { ChannelLayer } from './channel-layer.js'
import { ConsumerChannelLayer } from './consumer-layer.js'
import { dispatchTo } from './dispatch.js'
import { StopConsumer } from './errors.js'
import { getChannelLayer } from './layers/registry.js'
import { Mailbox } from './mailbox.js'
import { quoteValue } from './quote-value.js'
import { type RelayMemo, type Relays, type RelayTable, relayTableOf } from './relay.js'
import { applicationOf, type ExitReceiver } from './run-into.js'
import {
  type Application,
  type Message,
  type Receive,
  type Scope,
  type Send,
  type ServerPort,
  sendDone,
  serverPortOf,
} from './types.js'

/** A consumer class that `asAsgi()` can build: constructed with at most one `init` argument. */
export type ConsumerClass = new (init?: never) => AsyncConsumer

/** The application returned by `asAsgi()`. Mirrors the function `as_asgi()` returns. */
export interface ConsumerApplication<TClass extends ConsumerClass = ConsumerClass>
  extends Application {
  /** The consumer class each connection is served by. Mirrors `app.consumer_class`. */
  readonly consumerClass: TClass
  /** What each instance's constructor is given. Mirrors `app.consumer_initkwargs`. */
  readonly consumerInit: ConstructorParameters<TClass>[0] | undefined
}

const noop = (): void => undefined

/** Builds an outgoing message from an argument (a module-level function: no closure per send). */
export type BuildMessage<TArg> = (arg: TArg) => Message

let queueSendOf: <TArg>(
  consumer: AsyncConsumer,
  build: BuildMessage<TArg>,
  arg: TArg,
) => Promise<void>

const identity = (message: Message): Message => message

/** Wakes a sleeping instance: its mailbox holds a message (the mailbox's `wake`). */
let wakeConsumer: (consumer: AsyncConsumer) => void
/** Sends a relayed group message for a sleeping instance (the mailbox's `relay`; see `#relay`). */
let relayFor: (consumer: AsyncConsumer, memo: RelayMemo) => boolean
/** Drops an instance's handler reactions if it (still) sleeps or has ended. */
let dropReactionsIfAsleep: (consumer: AsyncConsumer) => void

/** Instances that fell asleep holding handler reactions this turn (an instance may recur). */
const dozing: AsyncConsumer[] = []
/** Past this many, `dozing` is swept at once rather than at the end of the turn. */
const MAX_DOZING = 65_536

/**
 * Has the reactions of `consumer`, asleep now, dropped at the end of the event-loop turn if it
 * is still asleep then. An instance that sleeps and wakes again within a turn (a member of a
 * group sent to message after message) keeps them: making them at every wake-up cost an
 * in-memory burst to a thousand members with a handler about 7% of its rate.
 */
function dropReactionsAtTurnEnd(consumer: AsyncConsumer): void {
  const count = dozing.push(consumer)
  if (count === 1) setImmediate(dropDozingReactions)
  // Bounded even where the turn never ends (fake timers): dropping a sleeper's reactions early
  // only costs it making them again.
  else if (count >= MAX_DOZING) dropDozingReactions()
}

function dropDozingReactions(): void {
  for (const consumer of dozing) dropReactionsIfAsleep(consumer)
  dozing.length = 0
}

/**
 * The base consumer: one instance per connection, handling events from the client and from
 * its channel on the channel layer strictly one at a time, in arrival order. A message of
 * type `chat.message` calls the method `chat_message` (sync or async); the next handler
 * starts only once the previous one has settled and the messages it sent have been handed
 * to the server. Raise `StopConsumer` to end the instance cleanly; any other error ends it
 * and is thrown from the application. However it ends, its groups are left and its channel
 * receive is aborted. Mirrors `channels.consumer.AsyncConsumer` (and `SyncConsumer`).
 */
export class AsyncConsumer {
  /** Which configured channel layer instances use. Mirrors `channel_layer_alias`. */
  static channelLayerAlias: string = 'default'

  /**
   * Message types whose handler only sends the client what a function makes of the message:
   * `{ 'chat.message': (event) => ... }` acts as a `chat_message` handler that sends the
   * function's result (a frame for a `WebsocketConsumer`, content for a
   * `JsonWebsocketConsumer`, an ASGI message here; see `relayMessage`). A group send then
   * builds that once for all the members of a class, and a member with nothing else to do
   * (no handler running, nothing queued) sends it at once, without a copy of the message or
   * a handler call (the in-memory and Redis layers offer this). Otherwise it goes through
   * the mailbox like any message. The function must depend on the message alone. Not in
   * Channels.
   */
  static relays: Relays = {}

  /** Turns what a relay returned into the ASGI message it sends: here the message itself. */
  static relayMessage(output: unknown): Message {
    if (
      typeof output !== 'object' ||
      output === null ||
      typeof (output as { type?: unknown }).type !== 'string'
    ) {
      throw new TypeError(
        `A relay must return a message with a string type, not ${quoteValue(output)}.`,
      )
    }
    return output as Message
  }

  /** The connection's scope, set before the first handler runs. */
  declare scope: Scope
  /**
   * This instance's channel on the layer. Set only when a layer is configured: without one
   * the property does not exist, as in Channels.
   */
  declare channelName: string

  /** Where sends go: the server's port, or a `FunctionSender` around the application's `send`. */
  #sender: Sender | null = null
  /**
   * Settles once every message sent so far has been handed over (it never rejects); null
   * while no send is in flight, when the next one goes straight to the server.
   */
  #outbox: Promise<void> | null = null
  #sendsInFlight = 0
  #sendFailure: { error: unknown } | null = null
  /** The callbacks that settle each send, made on the first send (none for a silent consumer). */
  #settleSend: ((value: unknown) => void) | null = null
  #failSend: ((error: unknown) => void) | null = null
  /** The inbox of the connection being served; null before it opens and once it has ended. */
  #mailbox: Mailbox<AsyncConsumer> | null = null
  /** The layer this instance's channel is on, once it has one. */
  #layer: ChannelLayer | null = null
  /** This instance's side of the layer (`channelLayer`), whose groups it leaves when it ends. */
  #handle: ConsumerChannelLayer | null = null
  /** The async context the application was called in: every handler runs in it. */
  #context: AsyncResource | null = null
  /** Told how the instance ended. */
  #exit: ExitReceiver | null = null
  /** The relays this instance takes on the fast path (see `#relay`), set when its connection opens. */
  #relays: RelayTable | null = null
  /**
   * The reactions to a handler's promise: made for the first handler that returns one, and
   * dropped once the instance has slept through the end of an event-loop turn (see
   * `dropReactionsAtTurnEnd`), so an idle connection keeps neither.
   */
  #handled: (() => void) | null = null
  #handlerFailed: ((error: unknown) => void) | null = null

  /**
   * Returns an application that serves each connection with a new instance of this class,
   * constructed with `init`. Mirrors `AsyncConsumer.as_asgi(**initkwargs)`.
   */
  static asAsgi<TClass extends ConsumerClass>(
    this: TClass,
    init?: ConstructorParameters<TClass>[0],
  ): ConsumerApplication<TClass> {
    // biome-ignore lint/complexity/noThisInStatic lint/complexity/noUselessThisAlias: `this` is the subclass asAsgi() was called on.
    const consumerClass: TClass = this
    // Built once per route (a bad `relays` declaration fails here, where the route is defined).
    const relays = relayTableOf(consumerClass as unknown as typeof AsyncConsumer)
    const build = consumerClass as unknown as new (init: unknown) => AsyncConsumer
    const app = applicationOf((scope, receive, send, exit) =>
      new build(init).#run(scope, receive, send, exit, relays),
    )
    Object.defineProperty(app, 'name', { value: consumerClass.name })
    return Object.assign(app, { consumerClass, consumerInit: init })
  }

  /**
   * This instance's handle on the channel layer, or `null` when none is configured (or
   * before the instance has its channel). Made when first read: an instance that never uses
   * the layer keeps none. Mirrors `self.channel_layer`.
   */
  get channelLayer(): ChannelLayer | null {
    if (this.#handle === null && this.#layer !== null) {
      const handle = new ConsumerChannelLayer(this.#layer, this.channelName)
      this.#handle = handle
      // First read after the instance ended (and left its groups): the handle joins none.
      if (this.#mailbox === null) void handle.leaveAll()
    }
    return this.#handle
  }

  /**
   * Calls the handler for a message: `chat.message` -> `this.chat_message(message)`.
   * Override to wrap every handler. Mirrors `AsyncConsumer.dispatch`.
   */
  async dispatch(message: Message): Promise<void> {
    await dispatchTo(this, message)
  }

  /**
   * Sends a raw event to the client (the ASGI `send`). Sends go out in call order, even when
   * a sync handler does not await them; a failed send ends the instance with its error once
   * the current handler returns. Mirrors `AsyncConsumer.base_send` / `send`.
   */
  baseSend(message: Message): Promise<void> {
    return this.#queueSend(identity, message)
  }

  static {
    queueSendOf = (consumer, build, arg) => consumer.#queueSend(build, arg)
    wakeConsumer = (consumer) => consumer.#context?.runInAsyncScope(consumer.#drain, consumer)
    relayFor = (consumer, memo) => consumer.#relay(memo)
    dropReactionsIfAsleep = (consumer) => {
      if (consumer.#mailbox !== null && !consumer.#mailbox.asleep) return
      consumer.#handled = null
      consumer.#handlerFailed = null
    }
  }

  #queueSend<TArg>(build: BuildMessage<TArg>, arg: TArg): Promise<void> {
    const sender = this.#sender
    let message: Message
    try {
      if (sender === null) {
        throw new TypeError('A consumer can send only while it is serving a connection.')
      }
      message = build(arg)
    } catch (error) {
      return this.#failedSend(error)
    }
    return this.#queueBuilt(sender, message)
  }

  /** `#queueSend` of a message already built, through the instance's `sender`. */
  #queueBuilt(sender: Sender, message: Message): Promise<void> {
    const outbox = this.#outbox
    let sent: Promise<void>
    if (outbox === null) {
      // Nothing in flight: hand it over now, in call order, without a link in a chain.
      if (this.#sendFailure) return this.#failedSend(this.#sendFailure.error)
      let result: Promise<void>
      try {
        result = sender.send(message)
      } catch (error) {
        return this.#failedSend(error)
      }
      // Carried out already: nothing to wait for, so nothing to chain.
      if (result === sendDone) return sendDone
      sent = toPromise(result)
    } else {
      sent = outbox.then(() => {
        if (this.#sendFailure) throw this.#sendFailure.error
        return sender.send(message)
      })
    }
    this.#settleSend ??= () => {
      this.#sendsInFlight -= 1
      if (this.#sendsInFlight === 0) this.#outbox = null
    }
    this.#failSend ??= (error: unknown) => {
      this.#sendFailure ??= { error }
      this.#settleSend?.(undefined)
    }
    this.#sendsInFlight += 1
    // Handling the rejection here also keeps an un-awaited send from being "unhandled".
    this.#outbox = sent.then(this.#settleSend, this.#failSend)
    return sent
  }

  /** A send that failed before reaching the server: it still ends the instance. */
  #failedSend(error: unknown): Promise<void> {
    this.#sendFailure ??= { error }
    const failed = Promise.reject(error)
    failed.catch(noop)
    return failed
  }

  /**
   * Serves one connection and tells `exit` once the instance has ended and cleaned up (may
   * throw before it starts). No async frame or promise waits between events: the mailbox
   * wakes `#drain` when one arrives. `relays`: the class's relay table.
   */
  #run(
    scope: Scope,
    receive: Receive,
    send: Send,
    exit: ExitReceiver,
    relays: RelayTable | null,
  ): void {
    this.scope = scope
    this.#sender = serverPortOf(send, 'send') ?? new FunctionSender(send)
    this.#exit = exit
    this.#context = new AsyncResource('node-channels.consumer')
    const alias = (this.constructor as typeof AsyncConsumer).channelLayerAlias
    const layer = getChannelLayer(alias)
    if (layer === null) {
      this.#open(receive, null, null)
      return
    }
    Promise.resolve(layer.newChannel()).then(
      (channelName) => {
        this.#layer = layer
        this.channelName = channelName
        this.#open(receive, layer, relays)
      },
      (error: unknown) => exit.raised(error),
    )
  }

  #open(receive: Receive, layer: ChannelLayer | null, classRelays: RelayTable | null): void {
    // A dispatch() override sees every message: nothing may go around it.
    this.#relays = this.dispatch === baseDispatch ? (classRelays?.forInstance(this) ?? null) : null
    const mailbox = new Mailbox<AsyncConsumer>(
      this,
      wakeConsumer,
      this.#relays === null ? null : relayFor,
    )
    this.#mailbox = mailbox
    try {
      mailbox.addReceive(receive)
      if (layer !== null) mailbox.addLayer(layer, this.channelName)
    } catch (error) {
      this.#end(failureOf(error))
      return
    }
    // Nothing is ready yet (every source hands over a microtask later): this goes to sleep.
    this.#drain()
  }

  /**
   * Dispatches what the mailbox holds, one handler at a time, until it is empty (then sleeps
   * until the mailbox wakes it) or a handler's promise is pending (then resumes once it
   * settles). A handler that returns synchronously and leaves no send in flight costs no
   * promise. Runs in the instance's async context.
   */
  #drain(): void {
    const mailbox = this.#mailbox
    if (mailbox === null) return
    for (;;) {
      let message: Message | undefined
      try {
        message = mailbox.take()
      } catch (error) {
        this.#end(failureOf(error))
        return
      }
      if (message === undefined) {
        mailbox.sleep()
        if (this.#handled !== null) dropReactionsAtTurnEnd(this)
        return
      }
      let result: unknown
      try {
        // The default dispatch is called without its async wrapper; an override is honoured.
        result = this.dispatch === baseDispatch ? dispatchTo(this, message) : this.dispatch(message)
      } catch (error) {
        if (this.#handlerDone({ error })) continue
        return
      }
      if (isThenable(result)) {
        this.#settle(result)
        return
      }
      if (!this.#handlerDone(null)) return
    }
  }

  /**
   * Sends what this class's relay builds for a group message, while the instance sleeps (the
   * mailbox checked it): returns false, to have the message delivered as usual, when the
   * type is not relayed here, a send failed, or the build threw.
   */
  #relay(memo: RelayMemo): boolean {
    const sender = this.#sender
    const relays = this.#relays
    if (this.#sendFailure !== null || sender === null || relays === null) return false
    const message = memo.builtFor(relays)
    if (message === null) return false
    const sent = this.#queueBuilt(sender, message)
    if (sent !== sendDone) {
      // No handler looks at a failed send while the instance sleeps: it ends here then.
      // (The server's send is done at once: only other senders get here.)
      sent.then(undefined, () => {
        if (this.#mailbox?.asleep && this.#sendFailure !== null) {
          this.#end(failureOf(this.#sendFailure.error))
        }
      })
    }
    return true
  }

  /** A handler's promise fulfilled: goes on as `#drain` does. */
  #onHandled(): void {
    if (this.#handlerDone(null)) this.#drain()
  }

  /** A handler's promise rejected: the instance ends (see `#mayGoOn`). */
  #onHandlerFailed(error: unknown): void {
    if (this.#handlerDone({ error })) this.#drain()
  }

  /**
   * Waits for a handler's promise, then goes on as `#drain` does. A thenable that is not a
   * native promise is adopted first, so a `then` that throws fails the handler.
   */
  #settle(result: PromiseLike<unknown>): void {
    const promise = result instanceof Promise ? result : Promise.resolve(result)
    // Following a handler's promise with these costs less than an `await` in an async
    // function, which allocates its own promise and resume callbacks each time. Bound
    // methods rather than arrow functions: they keep no closure context.
    this.#handled ??= this.#onHandled.bind(this)
    this.#handlerFailed ??= this.#onHandlerFailed.bind(this)
    promise.then(this.#handled, this.#handlerFailed)
  }

  /** A handler settled (`thrown` when it failed): true when the next one may start now. */
  #handlerDone(thrown: { error: unknown } | null): boolean {
    const outbox = this.#outbox
    if (outbox === null) return this.#mayGoOn(thrown)
    // The next handler starts once what this one sent has been handed over.
    outbox.then(() => {
      if (this.#mayGoOn(thrown)) this.#drain()
    })
    return false
  }

  /** Ends the instance when the handler failed or stopped it, or a send failed; else true. */
  #mayGoOn(thrown: { error: unknown } | null): boolean {
    if (thrown !== null && !(thrown.error instanceof StopConsumer)) this.#end(thrown)
    else if (this.#sendFailure) this.#end(failureOf(this.#sendFailure.error))
    else if (thrown !== null) this.#end(null)
    else return true
    return false
  }

  /**
   * However the instance ended, leaves every group its channel joined (Channels leaks them
   * on a crash), stops reading its channel (which releases it), then settles `#run`.
   */
  #end(failure: { error: unknown } | null): void {
    const mailbox = this.#mailbox
    if (mailbox === null) return
    this.#mailbox = null
    mailbox.close()
    const exit = this.#exit
    this.#cleanUp(failure).then(
      () => exit?.returned(),
      (error: unknown) => exit?.raised(error),
    )
  }

  async #cleanUp(failure: { error: unknown } | null): Promise<void> {
    if (this.#outbox !== null) await this.#outbox
    if (this.#handle !== null) {
      try {
        await this.#handle.leaveAll()
      } catch (error) {
        failure ??= { error }
      }
    }
    if (failure) throw failure.error
  }
}

const baseDispatch = AsyncConsumer.prototype.dispatch

/** How an instance that ended with `error` failed: StopConsumer is a clean end (null). */
function failureOf(error: unknown): { error: unknown } | null {
  return error instanceof StopConsumer ? null : { error }
}

/** Whether a handler's result is to be awaited: a promise or any other thenable. */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

/** A server's send returns a promise; a thenable is adopted, and anything else is done. */
function toPromise(value: unknown): Promise<void> {
  return value instanceof Promise ? value : Promise.resolve(value as PromiseLike<void> | undefined)
}

/**
 * Queues an outgoing message built by `build()` behind every earlier send (see `baseSend`).
 * For the generic consumers: a bad argument, like a failed send, then ends the instance even
 * when a sync handler does not await the returned promise. Not part of the public API.
 */
export function queueSend(consumer: AsyncConsumer, build: () => Message): Promise<void> {
  return queueSendOf(consumer, callBuild, build)
}

/**
 * `queueSend` for the hot paths: `build(arg)` with a module-level `build`, so a send makes
 * no closure. Not part of the public API.
 */
export function queueSendWith<TArg>(
  consumer: AsyncConsumer,
  build: BuildMessage<TArg>,
  arg: TArg,
): Promise<void> {
  return queueSendOf(consumer, build, arg)
}

function callBuild(build: () => Message): Message {
  return build()
}

/** Where a consumer's sends go: the server's port, or a `FunctionSender` around any other `send`. */
type Sender = Pick<ServerPort, 'send'>

/** A `Sender` for an application's `send` function (a test's, or one middleware wrapped). */
class FunctionSender implements Sender {
  readonly #send: Send

  constructor(send: Send) {
    this.#send = send
  }

  send(message: Message): Promise<void> {
    const send = this.#send
    return send(message)
  }
}

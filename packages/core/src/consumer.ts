import type { ChannelLayer } from './channel-layer.js'
import { ConsumerChannelLayer } from './consumer-layer.js'
import { dispatchTo } from './dispatch.js'
import { StopConsumer } from './errors.js'
import { getChannelLayer } from './layers/registry.js'
import { Mailbox } from './mailbox.js'
import {
  type Application,
  type Message,
  type Receive,
  type Scope,
  type Send,
  sendDone,
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

  /** The connection's scope, set before the first handler runs. */
  declare scope: Scope
  /** This instance's handle on the channel layer, or `null` when none is configured. */
  channelLayer: ChannelLayer | null = null
  /**
   * This instance's channel on the layer. Set only when a layer is configured: without one
   * the property does not exist, as in Channels.
   */
  declare channelName: string

  #send: Send | null = null
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
    const build = consumerClass as unknown as new (init: unknown) => AsyncConsumer
    const app = (scope: Scope, receive: Receive, send: Send): Promise<void> => {
      let consumer: AsyncConsumer
      try {
        consumer = new build(init)
      } catch (error) {
        return Promise.reject(error)
      }
      return consumer.#run(scope, receive, send)
    }
    Object.defineProperty(app, 'name', { value: consumerClass.name })
    return Object.assign(app, { consumerClass, consumerInit: init })
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
  }

  #queueSend<TArg>(build: BuildMessage<TArg>, arg: TArg): Promise<void> {
    const send = this.#send
    let message: Message
    try {
      if (send === null) {
        throw new TypeError('A consumer can send only while it is serving a connection.')
      }
      message = build(arg)
    } catch (error) {
      return this.#failedSend(error)
    }
    const outbox = this.#outbox
    let sent: Promise<void>
    if (outbox === null) {
      // Nothing in flight: hand it over now, in call order, without a link in a chain.
      if (this.#sendFailure) return this.#failedSend(this.#sendFailure.error)
      let result: Promise<void>
      try {
        result = send(message)
      } catch (error) {
        return this.#failedSend(error)
      }
      // Carried out already: nothing to wait for, so nothing to chain.
      if (result === sendDone) return sendDone
      sent = toPromise(result)
    } else {
      sent = outbox.then(() => {
        if (this.#sendFailure) throw this.#sendFailure.error
        return send(message)
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

  async #run(scope: Scope, receive: Receive, send: Send): Promise<void> {
    this.scope = scope
    this.#send = send
    const alias = (this.constructor as typeof AsyncConsumer).channelLayerAlias
    const layer = getChannelLayer(alias)
    let handle: ConsumerChannelLayer | null = null
    let channelName = ''
    if (layer !== null) {
      channelName = await layer.newChannel()
      handle = new ConsumerChannelLayer(layer, channelName)
      this.channelLayer = handle
      this.channelName = channelName
    }
    const mailbox = new Mailbox()
    let failure: { error: unknown } | null = null
    try {
      mailbox.addReceive(receive)
      if (layer !== null) mailbox.addLayer(layer, channelName)
      // Messages are drained one at a time; a handler that returns synchronously and leaves
      // no send in flight is not awaited, so a queue of them costs no promise each.
      for (;;) {
        const message = mailbox.take()
        if (message === undefined) {
          await mailbox.wait()
          continue
        }
        let thrown: { error: unknown } | null = null
        try {
          // The default dispatch is called without its async wrapper; an override is honoured.
          const result =
            this.dispatch === baseDispatch ? dispatchTo(this, message) : this.dispatch(message)
          if (isThenable(result)) await result
        } catch (error) {
          thrown = { error }
        }
        // The next handler starts once what this one sent has been handed over.
        if (this.#outbox !== null) await this.#outbox
        if (thrown !== null && !(thrown.error instanceof StopConsumer)) throw thrown.error
        if (this.#sendFailure) throw this.#sendFailure.error
        if (thrown !== null) throw thrown.error
      }
    } catch (error) {
      if (!(error instanceof StopConsumer)) failure = { error }
    }
    // However the instance ended, leave every group its channel joined (Channels leaks them
    // on a crash), and stop reading its channel, which releases it.
    mailbox.close()
    if (this.#outbox !== null) await this.#outbox
    if (handle !== null) {
      try {
        await handle.leaveAll()
      } catch (error) {
        failure ??= { error }
      }
    }
    if (failure) throw failure.error
  }
}

const baseDispatch = AsyncConsumer.prototype.dispatch

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

import type { ChannelLayer } from './channel-layer.js'
import { ConsumerChannelLayer } from './consumer-layer.js'
import { abortable, awaitManyDispatch, dispatchTo, type MessageSource } from './dispatch.js'
import { StopConsumer } from './errors.js'
import { getChannelLayer } from './layers/registry.js'
import type { Application, Message, Receive, Scope, Send } from './types.js'

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

let queueSendOf: (consumer: AsyncConsumer, build: () => Message) => Promise<void>

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
  /** Settles once every message sent so far has been handed over (it never rejects). */
  #outbox: Promise<void> = Promise.resolve()
  #sendFailure: { error: unknown } | null = null

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
    const app = async (scope: Scope, receive: Receive, send: Send): Promise<void> => {
      await new build(init).#run(scope, receive, send)
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
    return this.#queueSend(() => message)
  }

  static {
    queueSendOf = (consumer, build) => consumer.#queueSend(build)
  }

  #queueSend(build: () => Message): Promise<void> {
    const send = this.#send
    let message: Message
    try {
      if (send === null) {
        throw new TypeError('A consumer can send only while it is serving a connection.')
      }
      message = build()
    } catch (error) {
      this.#sendFailure ??= { error }
      const failed = Promise.reject(error)
      failed.catch(noop)
      return failed
    }
    const sent = this.#outbox.then(() => {
      if (this.#sendFailure) throw this.#sendFailure.error
      return send(message)
    })
    // Handling the rejection here also keeps an un-awaited send from being "unhandled".
    this.#outbox = sent.then(noop, (error: unknown) => {
      this.#sendFailure ??= { error }
    })
    return sent
  }

  async #run(scope: Scope, receive: Receive, send: Send): Promise<void> {
    this.scope = scope
    this.#send = send
    const sources: MessageSource[] = [(signal) => abortable(receive(), signal)]
    const alias = (this.constructor as typeof AsyncConsumer).channelLayerAlias
    const layer = getChannelLayer(alias)
    let handle: ConsumerChannelLayer | null = null
    if (layer !== null) {
      const channelName = await layer.newChannel()
      handle = new ConsumerChannelLayer(layer, channelName)
      this.channelLayer = handle
      this.channelName = channelName
      sources.push((signal) => abortable(layer.receive(channelName, { signal }), signal))
    }

    let failure: { error: unknown } | null = null
    try {
      await awaitManyDispatch(sources, (message) => this.#handle(message))
    } catch (error) {
      if (!(error instanceof StopConsumer)) failure = { error }
    }
    // However the instance ended, leave every group its channel joined (Channels leaks them
    // on a crash). The channel receive was aborted above, which releases the channel.
    await this.#outbox
    if (handle !== null) {
      try {
        await handle.leaveAll()
      } catch (error) {
        failure ??= { error }
      }
    }
    if (failure) throw failure.error
  }

  /** Runs one handler, then waits for what it sent; a failed send counts as its error. */
  async #handle(message: Message): Promise<void> {
    let thrown: { error: unknown } | null = null
    try {
      await this.dispatch(message)
    } catch (error) {
      thrown = { error }
    }
    await this.#outbox
    if (thrown && !(thrown.error instanceof StopConsumer)) throw thrown.error
    if (this.#sendFailure) throw this.#sendFailure.error
    if (thrown) throw thrown.error
  }
}

/**
 * Queues an outgoing message built by `build()` behind every earlier send (see `baseSend`).
 * For the generic consumers: a bad argument, like a failed send, then ends the instance even
 * when a sync handler does not await the returned promise. Not part of the public API.
 */
export function queueSend(consumer: AsyncConsumer, build: () => Message): Promise<void> {
  return queueSendOf(consumer, build)
}

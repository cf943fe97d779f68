import {
  type Application,
  type ChannelLayer,
  getChannelLayer,
  InvalidChannelLayerError,
  type Message,
  quoteValue,
  requireValidChannelName,
} from '@node-channels/core'
import { CancelledError, logApplicationError } from './app-instance.js'
import { defaultLogger, type ServerLogger } from './options.js'
import { WorkerInbox, WorkerInstance } from './worker-instance.js'

/** Options of `runWorker()`. */
export interface RunWorkerOptions {
  /**
   * The layer to receive from. `undefined` uses `getChannelLayer()`; `null` (no layer) is
   * refused with InvalidChannelLayerError, as Channels refuses it.
   */
  layer?: ChannelLayer | null
  /** Aborting it shuts the worker down gracefully; `runWorker()` then resolves. */
  signal?: AbortSignal
  /** Time the instances have to finish what they took, then to return once cancelled. @default 10000 */
  applicationCloseTimeoutMs?: number
  /** Where application errors and bad messages are reported. @default warnings and errors to stderr */
  logger?: ServerLogger
}

/** Pause after a failed `receive()` before trying again; doubles up to the maximum. */
const RETRY_MIN_MS = 100
const RETRY_MAX_MS = 5000

/**
 * Runs `application` for named channels, as `node-channels worker` does: one long-lived
 * instance per channel, called with `{ type: 'channel', channel }`, each message the layer
 * delivers on that channel fed through its `receive()`. Usually `application` is a
 * `ProtocolTypeRouter` whose `channel` entry is a `ChannelNameRouter`.
 *
 * A message without a `type` is logged and dropped (Channels raises). An instance that throws
 * is logged; the next message starts a new one. A channel's next message is taken from the
 * layer only once its instance has taken the previous one, so several workers on one channel
 * share its messages and a slow instance leaves the rest in the layer. Aborting `signal`
 * stops receiving, lets each instance finish what it already took (up to
 * `applicationCloseTimeoutMs`), cancels the instances (their `receive()` rejects with
 * `CancelledError`) and waits for them, again up to `applicationCloseTimeoutMs`. The layer is
 * left open: it belongs to the caller. A layer that refuses to receive
 * (`InvalidChannelLayerError`, a `TypeError`) stops the worker the same way and rejects with
 * that error; other receive errors are logged and retried with backoff.
 * Mirrors `channels.worker.Worker`.
 *
 * @example
 * const stop = new AbortController()
 * await runWorker(application, ['thumbnails-generate'], { signal: stop.signal })
 */
export async function runWorker(
  application: Application,
  channels: readonly string[],
  options: RunWorkerOptions = {},
): Promise<void> {
  if (typeof application !== 'function') {
    throw new TypeError(
      `runWorker() needs an application function, not ${quoteValue(application)}.`,
    )
  }
  const names = checkChannels(channels)
  const layer = options.layer === undefined ? getChannelLayer() : options.layer
  if (layer === null || typeof layer !== 'object' || typeof layer.receive !== 'function') {
    throw new InvalidChannelLayerError('Channel layer is not valid')
  }
  const closeTimeoutMs = options.applicationCloseTimeoutMs ?? 10_000
  if (!Number.isFinite(closeTimeoutMs) || closeTimeoutMs < 0) {
    throw new RangeError(
      `The applicationCloseTimeoutMs option must be a number of milliseconds from 0, not ${quoteValue(closeTimeoutMs)}.`,
    )
  }
  const worker = new Worker(application, layer, options.logger ?? defaultLogger)
  return worker.run(names, options.signal, closeTimeoutMs)
}

class Worker {
  readonly #application: Application
  readonly #layer: ChannelLayer
  readonly #logger: ServerLogger
  readonly #instances = new Map<string, WorkerInstance>()
  readonly #inboxes = new Map<string, WorkerInbox>()
  readonly #stop = new AbortController()
  #fatal: { error: unknown } | null = null

  constructor(application: Application, layer: ChannelLayer, logger: ServerLogger) {
    this.#application = application
    this.#layer = layer
    this.#logger = logger
  }

  async run(
    channels: readonly string[],
    signal: AbortSignal | undefined,
    closeTimeoutMs: number,
  ): Promise<void> {
    const stop = this.#stop
    const onAbort = (): void => stop.abort()
    if (signal?.aborted) stop.abort()
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      await Promise.all(channels.map((channel) => this.#listen(channel)))
    } finally {
      signal?.removeEventListener('abort', onAbort)
      await this.#shutdown(closeTimeoutMs)
    }
    if (this.#fatal) throw this.#fatal.error
  }

  /** Receives from one channel until the worker stops. Mirrors `Worker.listener`. */
  async #listen(channel: string): Promise<void> {
    const signal = this.#stop.signal
    const inbox = new WorkerInbox()
    this.#inboxes.set(channel, inbox)
    let retryMs = RETRY_MIN_MS
    while (!signal.aborted) {
      await inbox.drained(signal)
      if (signal.aborted) break
      let message: Message
      try {
        message = await this.#layer.receive(channel, { signal })
      } catch (error) {
        if (signal.aborted) break
        if (error instanceof InvalidChannelLayerError || error instanceof TypeError) {
          this.#logger.error(
            `The worker cannot receive from channel ${quoteValue(channel)}:`,
            error,
          )
          this.#fatal ??= { error }
          this.#stop.abort()
          break
        }
        this.#logger.error(
          `Receiving from channel ${quoteValue(channel)} failed; retrying in ${retryMs} ms.`,
          error,
        )
        await sleep(retryMs, signal)
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS)
        continue
      }
      retryMs = RETRY_MIN_MS
      if (typeof message !== 'object' || message === null || typeof message.type !== 'string') {
        // Channels raises ValueError here and the worker dies; one bad message must not.
        this.#logger.error(
          `Worker received message with no type on channel ${quoteValue(channel)}; dropped: ${quoteValue(message)}`,
        )
        continue
      }
      inbox.put(message)
      if (!this.#instances.has(channel)) this.#start(channel, inbox)
    }
  }

  /** Starts the channel's instance (Channels' `get_or_create_application_instance`). */
  #start(channel: string, inbox: WorkerInbox): void {
    const instance = new WorkerInstance(this.#application, channel, inbox)
    this.#instances.set(channel, instance)
    void instance.settled.then((outcome) => {
      if (this.#instances.get(channel) === instance) this.#instances.delete(channel)
      const label = `channel ${quoteValue(channel)}`
      const cancelled = outcome !== null && outcome.error instanceof CancelledError
      if (outcome !== null && !cancelled) logApplicationError(this.#logger, label, outcome.error)
      else if (!this.#stop.signal.aborted) {
        this.#logger.debug(
          `The application for ${label} returned; the next message starts another.`,
        )
      }
      if (this.#stop.signal.aborted || inbox.size === 0) return
      if (instance.received > 0) {
        // It made progress: what it left is served by a new instance.
        this.#start(channel, inbox)
        return
      }
      const dropped = inbox.clear()
      this.#logger.error(
        `The application for ${label} ended without receiving anything; ${dropped} ` +
          `message${dropped === 1 ? ' was' : 's were'} dropped.`,
      )
    })
  }

  /** Lets instances finish what they took, cancels them, and waits for them to return. */
  async #shutdown(closeTimeoutMs: number): Promise<void> {
    this.#stop.abort()
    const deadline = new AbortController()
    const timer = setTimeout(() => deadline.abort(), closeTimeoutMs)
    const expired = new Promise<void>((resolve) =>
      deadline.signal.addEventListener('abort', () => resolve(), { once: true }),
    )
    const instances = [...this.#instances.values()]
    await Promise.all(
      instances.map((instance) =>
        Promise.race([instance.inbox.whenIdle(deadline.signal), instance.settled]),
      ),
    )
    for (const instance of instances) instance.cancel()
    await Promise.race([Promise.all(instances.map((instance) => instance.settled)), expired])
    clearTimeout(timer)
    for (const instance of instances) {
      if (instance.running) {
        this.#logger.warn(
          `Application instance for channel ${quoteValue(instance.channel)} did not finish before ` +
            'shutdown and was abandoned.',
        )
      }
    }
    for (const [channel, inbox] of this.#inboxes) {
      const dropped = inbox.clear()
      if (dropped > 0) {
        this.#logger.warn(
          `${dropped} message(s) taken from channel ${quoteValue(channel)} were not handled before shutdown.`,
        )
      }
    }
  }
}

/** Validates the channel names: non-empty, unique, valid, and not process-local. */
function checkChannels(channels: readonly string[]): string[] {
  if (!Array.isArray(channels) || channels.length === 0) {
    throw new TypeError(
      `runWorker() needs a non-empty array of channel names, not ${quoteValue(channels)}.`,
    )
  }
  const seen = new Set<string>()
  for (const channel of channels) {
    requireValidChannelName(channel)
    if (channel.includes('!')) {
      throw new TypeError(
        `A worker cannot listen on the process-local channel ${quoteValue(channel)}: name a channel other processes send to.`,
      )
    }
    if (seen.has(channel))
      throw new TypeError(`The channel ${quoteValue(channel)} is listed twice.`)
    seen.add(channel)
  }
  return [...seen]
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done(): void {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}

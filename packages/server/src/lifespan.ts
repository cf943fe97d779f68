import type { Application, Message } from '@node-channels/core'
import { type AppExit, AppInstance, MessageQueue } from './app-instance.js'
import type { ServerLogger } from './options.js'
import { ASGI_VERSION } from './scope.js'

type Phase = 'startup' | 'shutdown'
type Answer = { ok: true } | { ok: false; message: string }

/**
 * Runs the application's `lifespan` scope: `lifespan.startup` before the server listens and
 * `lifespan.shutdown` when it stops. An application that throws (or returns) before answering
 * the startup event does not support lifespan; that is logged once at debug level and
 * ignored, as uvicorn's "auto" mode does. Daphne has no lifespan support.
 */
export class Lifespan {
  readonly #instance: AppInstance
  readonly #queue = new MessageQueue()
  readonly #logger: ServerLogger
  #phase: Phase = 'startup'
  #answer: ((answer: Answer) => void) | null = null
  #supported = true
  #started = false

  private constructor(application: Application, logger: ServerLogger) {
    this.#logger = logger
    this.#instance = new AppInstance({
      application,
      scope: { type: 'lifespan', asgi: { ...ASGI_VERSION } },
      receive: () => this.#queue.get(),
      send: (message) => this.#onSend(message),
      label: 'lifespan',
      logger,
    })
    void this.#instance.exited.then((exit) => {
      if (exit.kind === 'raised' && this.#started) {
        logger.error('Exception inside application during lifespan:', exit.error)
      }
    })
  }

  /**
   * Starts the lifespan instance and waits for its `lifespan.startup.complete`. Rejects with the
   * application's message on `lifespan.startup.failed`.
   */
  static async start(application: Application, logger: ServerLogger): Promise<Lifespan> {
    const lifespan = new Lifespan(application, logger)
    await lifespan.#run('startup', null)
    lifespan.#started = lifespan.#supported
    return lifespan
  }

  /** Sends `lifespan.shutdown` and waits up to `timeoutMs` for the answer or the application's return. */
  async shutdown(timeoutMs: number): Promise<void> {
    if (!this.#supported || !this.#instance.running) return
    this.#phase = 'shutdown'
    await this.#run('shutdown', timeoutMs)
  }

  async #run(phase: Phase, timeoutMs: number | null): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const answered = new Promise<Answer>((resolve) => {
      this.#answer = resolve
    })
    const timedOut = new Promise<'timeout'>((resolve) => {
      if (timeoutMs !== null) timer = setTimeout(() => resolve('timeout'), timeoutMs)
    })
    this.#queue.put({ type: `lifespan.${phase}` })
    const outcome = await Promise.race([answered, this.#instance.exited, timedOut])
    clearTimeout(timer)
    this.#answer = null
    if (outcome === 'timeout') {
      this.#logger.warn(`Application did not finish lifespan ${phase} within ${timeoutMs} ms.`)
      this.#instance.abandon()
    } else if ('kind' in outcome) {
      this.#onExit(phase, outcome)
    } else if (!outcome.ok) {
      if (phase === 'startup') {
        this.#instance.abandon()
        throw new Error(`Application startup failed: ${outcome.message}`)
      }
      this.#logger.error(`Application shutdown failed: ${outcome.message}`)
    }
  }

  #onExit(phase: Phase, exit: AppExit): void {
    // After startup, errors are logged by the constructor's `exited` handler.
    if (phase === 'startup') {
      // uvicorn's "auto" mode: no answer to startup means no lifespan support.
      this.#supported = false
      const why = exit.kind === 'raised' ? `: ${String(exit.error)}` : ''
      this.#logger.debug(`ASGI 'lifespan' protocol appears unsupported${why}`)
    }
  }

  async #onSend(message: Message): Promise<void> {
    const expected = `lifespan.${this.#phase}`
    if (message.type === `${expected}.complete`) {
      this.#answer?.({ ok: true })
    } else if (message.type === `${expected}.failed`) {
      this.#answer?.({ ok: false, message: String(message.message ?? '') })
    } else {
      throw new Error(`Cannot handle message type ${message.type} during lifespan ${this.#phase}!`)
    }
  }
}

import type { Application, Message, Scope } from '@node-channels/core'
import { AsyncQueue, quoteValue } from '@node-channels/core'

/** Options of the communicator methods that wait. */
export interface TimeoutOptions {
  /** How long to wait. @default ApplicationCommunicator.defaultTimeoutMs (1000) */
  timeoutMs?: number
}

/** Options of `receiveNothing()`. Mirrors `receive_nothing(timeout=0.1, interval=0.01)`. */
export interface ReceiveNothingOptions {
  /** How long nothing must arrive. @default 100 */
  timeoutMs?: number
  /** How often the output is checked meanwhile. @default 10 */
  intervalMs?: number
}

/**
 * The application was cancelled by its communicator (after a timeout, or by `stop()`): its
 * pending and later `receive()` calls reject with this error so that it unwinds, and the
 * communicator's `sendInput()` and `receiveOutput()` throw it. Mirrors asyncio's CancelledError.
 */
export class CancelledError extends Error {
  override name = 'CancelledError'
}

/** A communicator method waited longer than its timeout. Mirrors asyncio's TimeoutError. */
export class TimeoutError extends Error {
  override name = 'TimeoutError'
  /** How long the method waited. */
  readonly timeoutMs: number

  constructor(message: string, timeoutMs: number) {
    super(message)
    this.timeoutMs = timeoutMs
  }
}

type State =
  | { status: 'idle' | 'running' | 'done' }
  | { status: 'failed'; error: unknown }
  | { status: 'cancelled'; error: CancelledError }

const MAX_TIMER_MS = 2_147_483_647

/**
 * Runs an application in a test: feeds it input events and reads the events it sends, with
 * timeouts. The application starts lazily, on the first call; an error it throws is re-thrown
 * by the next call. A timeout cancels it: JavaScript cannot interrupt a promise, so its
 * `receive()` rejects with `CancelledError` and it unwinds from there.
 * Mirrors `asgiref.testing.ApplicationCommunicator` (asgiref 3.9 semantics).
 */
export class ApplicationCommunicator {
  /** The timeout of every waiting method that is not given one (Channels issue #2044). */
  static defaultTimeoutMs: number = 1000

  /** The application under test. */
  readonly application: Application
  /** The scope it is called with. */
  readonly scope: Scope
  readonly #input = new AsyncQueue<Message>()
  readonly #output = new AsyncQueue<Message>()
  readonly #cancel = new AbortController()
  #state: State = { status: 'idle' }
  /** Settles (never rejects) once the application has returned or thrown. */
  #finished: Promise<void> | null = null

  constructor(application: Application, scope: Scope) {
    if (typeof application !== 'function') {
      throw new TypeError(`The application must be a function, not ${quoteValue(application)}.`)
    }
    if (typeof scope !== 'object' || scope === null || typeof scope.type !== 'string') {
      throw new TypeError(
        `The scope must be an object with a string "type", not ${quoteValue(scope)}.`,
      )
    }
    this.application = application
    this.scope = scope
  }

  /**
   * Sends an event to the application. Throws the application's error if it has failed or
   * was cancelled; after a normal finish the event is still queued. Mirrors `send_input`.
   */
  async sendInput(message: Message): Promise<void> {
    this.#start()
    this.#raiseIfFailed()
    this.#input.put(message)
  }

  /**
   * Returns the next event the application sends. Throws its error as soon as it fails; after
   * `timeoutMs` without an event it cancels the application and throws `TimeoutError`.
   * Mirrors `receive_output(timeout=1)`.
   */
  async receiveOutput(options: TimeoutOptions = {}): Promise<Message> {
    return this.nextOutput('receiveOutput()', this.timeoutOf(options))
  }

  /**
   * Resolves to true if the application sends nothing within `timeoutMs` (already queued
   * events count), false as soon as an event is waiting. Mirrors `receive_nothing`.
   */
  async receiveNothing(options: ReceiveNothingOptions = {}): Promise<boolean> {
    const timeoutMs = checkMs('timeoutMs', options.timeoutMs ?? 100)
    const intervalMs = checkMs('intervalMs', options.intervalMs ?? 10)
    this.#start()
    this.#raiseIfFailed()
    const deadline = performance.now() + timeoutMs
    for (;;) {
      if (this.#output.size > 0) return false
      const remaining = deadline - performance.now()
      if (remaining <= 0) return true
      await delay(Math.min(intervalMs, remaining))
    }
  }

  /**
   * Waits for the application to finish and throws its error; a cancelled application counts
   * as finished. After `timeoutMs` it cancels it and throws `TimeoutError`. Mirrors `wait`.
   */
  async wait(options: TimeoutOptions = {}): Promise<void> {
    return this.waitFor('wait()', this.timeoutOf(options))
  }

  /**
   * Cancels the application if it is still running; otherwise throws its error, if it failed
   * and `exceptions` is true. Mirrors `stop(exceptions=True)`.
   */
  async stop(options: { exceptions?: boolean } = {}): Promise<void> {
    const state = this.#state
    if (state.status === 'running') {
      await this.#cancelWith('The application was cancelled by stop().')
    } else if (state.status === 'failed' && (options.exceptions ?? true)) {
      throw state.error
    }
  }

  /** The timeout to use for `options`, checked. */
  protected timeoutOf(options: TimeoutOptions): number {
    const ctor = this.constructor as typeof ApplicationCommunicator
    return checkMs('timeoutMs', options.timeoutMs ?? ctor.defaultTimeoutMs)
  }

  /** `receiveOutput()`, naming `method` in its timeout message. */
  protected async nextOutput(method: string, timeoutMs: number): Promise<Message> {
    this.#start()
    this.#raiseIfFailed()
    const timeout = new AbortController()
    const timer = setTimeout(() => timeout.abort(), timeoutMs)
    try {
      return await Promise.race([this.#output.get(timeout.signal), this.#failure()])
    } catch (error) {
      if (!timeout.signal.aborted) throw error
    } finally {
      clearTimeout(timer)
      // Withdraws the pending get() when the failure won, so it cannot swallow a later event.
      timeout.abort()
    }
    this.#raiseIfFailed()
    const message = `${method} timed out after ${timeoutMs} ms waiting for the application's next message.`
    if (this.#state.status === 'running') {
      await this.#cancelWith(`The application was cancelled because ${message}`)
    }
    throw new TimeoutError(message, timeoutMs)
  }

  /** `wait()`, naming `method` in its timeout message. */
  protected async waitFor(method: string, timeoutMs: number): Promise<void> {
    const finished = this.#start()
    let timer: NodeJS.Timeout | undefined
    const timedOut = await Promise.race([
      finished.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs)
      }),
    ])
    clearTimeout(timer)
    if (!timedOut) {
      const state = this.#state
      if (state.status === 'failed') throw state.error
      return
    }
    const message = `${method} timed out after ${timeoutMs} ms waiting for the application to finish.`
    if (this.#state.status === 'running') {
      await this.#cancelWith(`The application was cancelled because ${message}`)
    }
    throw new TimeoutError(message, timeoutMs)
  }

  #start(): Promise<void> {
    if (this.#finished) return this.#finished
    this.#state = { status: 'running' }
    const signal = this.#cancel.signal
    const receive = (): Promise<Message> => this.#input.get(signal)
    const send = async (message: Message): Promise<void> => {
      if (typeof message !== 'object' || message === null || typeof message.type !== 'string') {
        throw new TypeError(
          `An application must send objects with a string "type", not ${quoteValue(message)}.`,
        )
      }
      this.#output.put(message)
    }
    const run = async (): Promise<void> => this.application(this.scope, receive, send)
    this.#finished = run().then(
      () => {
        if (this.#state.status === 'running') this.#state = { status: 'done' }
      },
      (error: unknown) => {
        if (this.#state.status === 'running') this.#state = { status: 'failed', error }
      },
    )
    return this.#finished
  }

  /** Rejects with the application's error once it fails; never settles otherwise. */
  #failure(): Promise<never> {
    return new Promise<never>((_resolve, reject) => {
      this.#finished?.then(() => {
        const state = this.#state
        if (state.status === 'failed' || state.status === 'cancelled') reject(state.error)
      })
    })
  }

  #raiseIfFailed(): void {
    const state = this.#state
    if (state.status === 'failed' || state.status === 'cancelled') throw state.error
  }

  /**
   * Cancels the application: its receive() rejects with a CancelledError. It then gets one
   * turn of the event loop to unwind (its clean-up, such as leaving groups, can finish).
   */
  async #cancelWith(reason: string): Promise<void> {
    const error = new CancelledError(reason)
    this.#state = { status: 'cancelled', error }
    this.#cancel.abort(error)
    await Promise.race([this.#finished, new Promise((resolve) => setImmediate(resolve))])
  }
}

// --- helpers ---

function checkMs(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= MAX_TIMER_MS)) {
    throw new RangeError(
      `${name} must be a number of milliseconds from 0 to ${MAX_TIMER_MS}, not ${quoteValue(value)}.`,
    )
  }
  return value
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

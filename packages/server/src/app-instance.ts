import {
  type Application,
  type EventReceiver,
  type ExitReceiver,
  kServerPort,
  type Message,
  quoteValue,
  runApplication,
  type Scope,
  type ServerPort,
  sendDone,
} from '@node-channels/core'
import type { ServerLogger } from './options.js'

const SETTLED: Promise<void> = Promise.resolve()

/**
 * Rejects the pending and later `receive()` calls of an application instance the server
 * abandoned because it did not return within `applicationCloseTimeoutMs` after its connection
 * ended. JavaScript cannot kill a promise; this lets the application unwind (`finally` blocks
 * run). Mirrors the `asyncio.CancelledError` Daphne raises when it kills an instance.
 */
export class CancelledError extends Error {
  override name = 'CancelledError'
}

/** How an application instance ended. */
export type AppExit =
  | { kind: 'returned' }
  | { kind: 'raised'; error: unknown }
  | { kind: 'abandoned' }

/** The server's side of an application instance: where its `receive` and `send` go. */
export interface AppIo {
  /**
   * Produces the next incoming event (the server's side of `receive`): the event itself when
   * one is waiting, or a promise of the next.
   */
  receive(): Message | Promise<Message>
  /**
   * `receive()` without a promise: hands the next event to `receiver` (at once when one is
   * waiting); `cancelReceives` fails a receiver still waiting. Without it the instance
   * serves its port's `receiveInto()` through `receive()`.
   */
  receiveInto?(receiver: EventReceiver): void
  /**
   * Carries out one outgoing event: done when it returns `undefined`, else when the promise
   * settles. What it throws or rejects with is what the application's `send()` rejects with.
   */
  send(message: Message): Promise<void> | undefined
  /**
   * Rejects, with `error`, the promises `receive` returned that are still waiting; called
   * when the instance is abandoned. Without it the instance wraps every waiting receive so
   * that it can reject it itself.
   */
  cancelReceives?(error: CancelledError): void
  /** Told how the application ended, once, after the `whenExited` listeners. */
  applicationExited?(exit: AppExit): void
  /**
   * Names the connection in log lines when the options give no `label`; read only when a
   * line is written, so a long-lived owner need not keep the string.
   */
  label?: string
}

/** What an `AppInstance` runs, and how it names it. */
export interface AppInstanceOptions {
  application: Application
  scope: Scope
  /** Names the connection in log lines, e.g. `WebSocket /ws/ from 127.0.0.1:5000` (else `io.label`). */
  label?: string
  logger: ServerLogger
}

/** An `AppInstance`'s options and its `AppIo` in one object. */
export interface AppInstanceInit extends AppInstanceOptions, AppIo {}

/** Told how an application instance ended, with the instance (see `AppInstance.whenExited`). */
export type ExitListener = (exit: AppExit, instance: AppInstance) => void

/**
 * One running application call: its `receive`/`send`, how it ended, and the close timeout.
 * Sends are dropped once the instance is abandoned. Mirrors the per-connection task Daphne's
 * `Server.create_application` starts and `application_checker` watches.
 */
export class AppInstance implements ExitReceiver, ServerPort {
  readonly #label: string | undefined
  readonly #io: AppIo
  readonly #logger: ServerLogger
  #exit: AppExit | null = null
  #exited: Promise<AppExit> | null = null
  #listener: ExitListener | null = null
  #moreListeners: ExitListener[] | null = null
  #closeTimer: NodeJS.Timeout | null = null
  /** Rejects of the waiting receives this instance wrapped (no `cancelReceives`); made on first use. */
  #pending: Set<(error: Error) => void> | null = null

  /**
   * Starts `application` in a microtask. `io` is where its events come from and go to: by
   * default the init object itself; a long-lived owner passes itself, so no closures are made.
   */
  constructor(init: AppInstanceInit)
  constructor(options: AppInstanceOptions, io: AppIo)
  constructor(options: AppInstanceOptions | AppInstanceInit, io?: AppIo) {
    this.#io = io ?? (options as AppInstanceInit)
    this.#label = options.label
    this.#logger = options.logger
    const { application, scope } = options
    // A settled promise's reaction, not queueMicrotask (which makes an AsyncResource each).
    SETTLED.then(() => this.#start(application, scope))
  }

  #start(application: Application, scope: Scope): void {
    // Both carry this instance as their port: a consumer keeps it rather than them, so that
    // a connection keeps no function of its own for either. Not enumerable: a wrapper that
    // copies a function's properties (Object.assign) does not take the port along.
    const receive = withPort(() => this.#receive(), this)
    const send = withPort((message: Message) => this.send(message), this)
    // Through kRunInto when the application has it: no promise chain for the connection's life.
    runApplication(application, scope, receive, send, this)
  }

  /** Names the connection in log lines: the options' `label`, else the io's. */
  get label(): string {
    return this.#label ?? this.#io.label ?? 'application'
  }

  /** The application returned (`ExitReceiver`, for `runApplication`). */
  returned(): void {
    this.#finish({ kind: 'returned' })
  }

  /** The application failed with `error` (`ExitReceiver`, for `runApplication`). */
  raised(error: unknown): void {
    this.#finish(exitOf(error))
  }

  /** Settles (never rejects) when the application returns, throws, or is abandoned. */
  get exited(): Promise<AppExit> {
    this.#exited ??= new Promise((resolve) => this.whenExited(resolve))
    return this.#exited
  }

  /**
   * Calls `listener` once the application has returned, thrown or been abandoned: at that
   * moment (synchronously), or in a microtask when it already has. Cheaper than `exited`
   * for the server's own bookkeeping: no promise per instance.
   */
  whenExited(listener: ExitListener): void {
    const exit = this.#exit
    if (exit !== null) {
      queueMicrotask(() => listener(exit, this))
    } else if (this.#listener === null) {
      this.#listener = listener
    } else {
      this.#moreListeners ??= []
      this.#moreListeners.push(listener)
    }
  }

  /** True until the application returns, throws or is abandoned. */
  get running(): boolean {
    return this.#exit === null
  }

  /**
   * Called once the connection is over: gives the application `timeoutMs` to return, then
   * abandons it with a log line. Mirrors Daphne's `application_close_timeout` kill.
   */
  closeWithin(timeoutMs: number): void {
    if (this.#exit !== null || this.#closeTimer !== null) return
    this.#closeTimer = setTimeout(() => {
      this.#closeTimer = null
      if (this.#exit !== null) return
      this.#logger.warn(
        `Application instance for ${this.label} took too long to shut down and was abandoned ` +
          `after ${timeoutMs} ms.`,
      )
      this.abandon()
    }, timeoutMs)
    this.#closeTimer.unref()
  }

  /** Stops serving the application: its receives reject with CancelledError, its sends are dropped. */
  abandon(): void {
    if (this.#exit !== null) return
    this.#finish({ kind: 'abandoned' })
    const error = new CancelledError(`Application instance for ${this.label} was cancelled.`)
    this.#io.cancelReceives?.(error)
    const pending = this.#pending
    this.#pending = null
    for (const reject of pending ?? []) reject(error)
  }

  #finish(exit: AppExit): void {
    if (this.#exit !== null) {
      if (exit.kind === 'raised') {
        this.#logger.debug(`Abandoned application for ${this.label} raised: ${String(exit.error)}`)
      }
      return
    }
    this.#exit = exit
    if (this.#closeTimer !== null) clearTimeout(this.#closeTimer)
    this.#closeTimer = null
    const first = this.#listener
    const more = this.#moreListeners
    this.#listener = null
    this.#moreListeners = null
    if (first !== null) this.#tell(first, exit)
    for (const listener of more ?? []) this.#tell(listener, exit)
    try {
      this.#io.applicationExited?.(exit)
    } catch (error) {
      reportLater(error)
    }
  }

  #tell(listener: ExitListener, exit: AppExit): void {
    try {
      listener(exit, this)
    } catch (error) {
      reportLater(error)
    }
  }

  #receive(): Promise<Message> {
    if (this.#exit?.kind === 'abandoned') {
      return Promise.reject(
        new CancelledError(`Application instance for ${this.label} was cancelled.`),
      )
    }
    const next = this.#io.receive()
    if (!(next instanceof Promise)) return Promise.resolve(next)
    if (this.#io.cancelReceives !== undefined) return next
    this.#pending ??= new Set()
    const pending = this.#pending
    return new Promise<Message>((resolve, reject) => {
      pending.add(reject)
      next.then(
        (message) => {
          pending.delete(reject)
          resolve(message)
        },
        (error: unknown) => {
          pending.delete(reject)
          reject(error)
        },
      )
    })
  }

  /** `receive()` without a promise (`ServerPort`): the next event goes to `receiver`. */
  receiveInto(receiver: EventReceiver): void {
    if (this.#exit?.kind === 'abandoned' || this.#io.receiveInto === undefined) {
      this.#receive().then(
        (message) => receiver.deliver(message),
        (error: unknown) => receiver.fail(error),
      )
      return
    }
    this.#io.receiveInto(receiver)
  }

  /** The application's `send()` (`ServerPort`): carries out one outgoing event. */
  send(message: Message): Promise<void> {
    if (this.#exit?.kind === 'abandoned') return sendDone
    if (typeof message !== 'object' || message === null || typeof message.type !== 'string') {
      return Promise.reject(new TypeError(`Message has no type defined: ${quoteValue(message)}.`))
    }
    try {
      return this.#io.send(message) ?? sendDone
    } catch (error) {
      return Promise.reject(error)
    }
  }
}

/** `fn` with `port` under `kServerPort`, a property that is neither enumerable nor writable. */
function withPort<T extends object>(fn: T, port: ServerPort): T {
  return Object.defineProperty(fn, kServerPort, { value: port })
}

/** Rethrows `error` in a microtask, as an exception in a `.then()` of `exited` would be: after the other listeners ran. */
function reportLater(error: unknown): void {
  queueMicrotask(() => {
    throw error
  })
}

/** How an application that threw ended: a bare StopConsumer still means "ended cleanly". */
function exitOf(error: unknown): AppExit {
  return (error as Error | null)?.name === 'StopConsumer'
    ? { kind: 'returned' }
    : { kind: 'raised', error }
}

/** Logs an application error: RouteNotFound at debug level (it becomes a 404), anything else with its stack. */
export function logApplicationError(logger: ServerLogger, label: string, error: unknown): void {
  if (isRouteNotFound(error)) {
    logger.debug(`${label}: ${(error as Error).message}`)
  } else {
    logger.error(`Exception inside application for ${label}:`, error)
  }
}

/** True for the error `URLRouter` throws when no route matches (answered with 404). */
export function isRouteNotFound(error: unknown): boolean {
  return (error as Error | null)?.name === 'RouteNotFound'
}

/** A FIFO of incoming events; `get()` (or `take()`, then `wait()` or `takeInto()`) gives the next one. */
export class MessageQueue {
  /** Queued events; `null` while none is (an emptied array would keep its spare room). */
  #items: Message[] | null = null
  /** The first waiting reader; more wait in `#more` (rare: one receive at a time is usual). */
  #first: EventReceiver | null = null
  #more: EventReceiver[] | null = null

  /** Number of events waiting to be received. */
  get size(): number {
    return this.#items === null ? 0 : this.#items.length
  }

  /** Hands `message` to the oldest waiting reader, or queues it. */
  put(message: Message): void {
    const first = this.#first
    if (first === null) {
      if (this.#items === null) this.#items = [message]
      else this.#items.push(message)
      return
    }
    this.#first = this.#more?.shift() ?? null
    first.deliver(message)
  }

  /** The next event: at once when one is queued, else when it is put. */
  get(): Promise<Message> {
    const item = this.take()
    return item === undefined ? this.wait() : Promise.resolve(item)
  }

  /** The oldest queued event, or `undefined` when none is queued. */
  take(): Message | undefined {
    const items = this.#items
    if (items === null) return undefined
    const item = items.shift()
    if (items.length === 0) this.#items = null
    return item
  }

  /** A promise of the next event put (call it when `take()` found nothing). */
  wait(): Promise<Message> {
    return new Promise((resolve, reject) => this.#await({ deliver: resolve, fail: reject }))
  }

  /** Hands the oldest queued event to `receiver` now, or the next one put when it comes. */
  takeInto(receiver: EventReceiver): void {
    const item = this.take()
    if (item === undefined) this.#await(receiver)
    else receiver.deliver(item)
  }

  /** Fails every waiting reader with `error`. */
  cancelWaiting(error: Error): void {
    const first = this.#first
    const more = this.#more ?? []
    this.#first = null
    this.#more = null
    first?.fail(error)
    for (const waiter of more) waiter.fail(error)
  }

  #await(receiver: EventReceiver): void {
    if (this.#first === null) {
      this.#first = receiver
      return
    }
    this.#more ??= []
    this.#more.push(receiver)
  }
}

/** The running application instances of a server, so shutdown can wait for them. */
export class InstanceRegistry {
  readonly #instances = new Set<AppInstance>()

  get size(): number {
    return this.#instances.size
  }

  add(instance: AppInstance): void {
    this.#instances.add(instance)
    instance.whenExited(this.#remove)
  }

  readonly #remove = (_exit: AppExit, instance: AppInstance): void => {
    this.#instances.delete(instance)
  }

  /** Waits until every instance has ended or `deadline` (a `performance.now()` time) passes; abandons the rest. */
  async drain(deadline: number, logger: ServerLogger): Promise<void> {
    const remaining = Math.max(0, deadline - performance.now())
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, remaining)
    })
    await Promise.race([Promise.all([...this.#instances].map((i) => i.exited)), timeout])
    clearTimeout(timer)
    for (const instance of [...this.#instances]) {
      logger.warn(
        `Application instance for ${instance.label} did not finish before shutdown and was abandoned.`,
      )
      instance.abandon()
    }
  }
}

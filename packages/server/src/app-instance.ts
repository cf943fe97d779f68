import type { Application, Message, Scope } from '@node-channels/core'
import { quote, type ServerLogger } from './options.js'

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

/** What an `AppInstance` needs to run one application call. */
export interface AppInstanceInit {
  application: Application
  scope: Scope
  /**
   * Produces the next incoming event (the server's side of `receive`): the event itself when
   * one is waiting, or a promise of the next.
   */
  receive: () => Message | Promise<Message>
  /**
   * Rejects, with `error`, the promises `receive` returned that are still waiting; called
   * when the instance is abandoned. Without it the instance wraps every waiting receive so
   * that it can reject it itself.
   */
  cancelReceives?: (error: CancelledError) => void
  /**
   * Carries out one outgoing event: done when it returns `undefined`, else when the promise
   * settles. What it throws or rejects with is what the application's `send()` rejects with.
   */
  send: (message: Message) => Promise<void> | undefined
  /** Names the connection in log lines, e.g. `WebSocket /ws/ from 127.0.0.1:5000`. */
  label: string
  logger: ServerLogger
}

/** Told how an application instance ended, with the instance (see `AppInstance.whenExited`). */
export type ExitListener = (exit: AppExit, instance: AppInstance) => void

const RESOLVED: Promise<void> = Promise.resolve()

/**
 * One running application call: its `receive`/`send`, how it ended, and the close timeout.
 * Sends are dropped once the instance is abandoned. Mirrors the per-connection task Daphne's
 * `Server.create_application` starts and `application_checker` watches.
 */
export class AppInstance {
  readonly label: string
  #exit: AppExit | null = null
  #exited: Promise<AppExit> | null = null
  #listeners: ExitListener[] = []
  #closeTimer: NodeJS.Timeout | null = null
  readonly #pending = new Set<(error: Error) => void>()
  readonly #init: AppInstanceInit

  constructor(init: AppInstanceInit) {
    this.#init = init
    this.label = init.label
    const receive = () => this.#receive()
    const send = (message: Message) => this.#send(message)
    Promise.resolve()
      .then(() => init.application(init.scope, receive, send))
      .then(
        () => this.#finish({ kind: 'returned' }),
        (error: unknown) =>
          this.#finish(
            // A bare StopConsumer escaping the application still means "ended cleanly".
            (error as Error | null)?.name === 'StopConsumer'
              ? { kind: 'returned' }
              : { kind: 'raised', error },
          ),
      )
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
    if (exit === null) this.#listeners.push(listener)
    else queueMicrotask(() => listener(exit, this))
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
      this.#init.logger.warn(
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
    this.#init.cancelReceives?.(error)
    for (const reject of this.#pending) reject(error)
    this.#pending.clear()
  }

  #finish(exit: AppExit): void {
    if (this.#exit !== null) {
      if (exit.kind === 'raised') {
        this.#init.logger.debug(
          `Abandoned application for ${this.label} raised: ${String(exit.error)}`,
        )
      }
      return
    }
    this.#exit = exit
    if (this.#closeTimer !== null) clearTimeout(this.#closeTimer)
    this.#closeTimer = null
    const listeners = this.#listeners
    this.#listeners = []
    for (const listener of listeners) {
      try {
        listener(exit, this)
      } catch (error) {
        // As an exception in a `.then()` of `exited` would be: reported, after the others ran.
        queueMicrotask(() => {
          throw error
        })
      }
    }
  }

  #receive(): Promise<Message> {
    if (this.#exit?.kind === 'abandoned') {
      return Promise.reject(
        new CancelledError(`Application instance for ${this.label} was cancelled.`),
      )
    }
    const next = this.#init.receive()
    if (!(next instanceof Promise)) return Promise.resolve(next)
    if (this.#init.cancelReceives !== undefined) return next
    return new Promise<Message>((resolve, reject) => {
      this.#pending.add(reject)
      next.then(
        (message) => {
          this.#pending.delete(reject)
          resolve(message)
        },
        (error: unknown) => {
          this.#pending.delete(reject)
          reject(error)
        },
      )
    })
  }

  #send(message: Message): Promise<void> {
    if (this.#exit?.kind === 'abandoned') return RESOLVED
    if (typeof message !== 'object' || message === null || typeof message.type !== 'string') {
      return Promise.reject(new TypeError(`Message has no type defined: ${quote(message)}.`))
    }
    try {
      return this.#init.send(message) ?? RESOLVED
    } catch (error) {
      return Promise.reject(error)
    }
  }
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

/** A FIFO of incoming events; `get()` (or `take()`, then `wait()`) gives the next one. */
export class MessageQueue {
  readonly #items: Message[] = []
  readonly #resolves: Array<(message: Message) => void> = []
  readonly #rejects: Array<(error: Error) => void> = []

  /** Number of events waiting to be received. */
  get size(): number {
    return this.#items.length
  }

  /** Hands `message` to the oldest waiting `get()`/`wait()`, or queues it. */
  put(message: Message): void {
    const resolve = this.#resolves.shift()
    if (resolve === undefined) {
      this.#items.push(message)
      return
    }
    this.#rejects.shift()
    resolve(message)
  }

  /** The next event: at once when one is queued, else when it is put. */
  get(): Promise<Message> {
    const item = this.#items.shift()
    return item === undefined ? this.wait() : Promise.resolve(item)
  }

  /** The oldest queued event, or `undefined` when none is queued. */
  take(): Message | undefined {
    return this.#items.shift()
  }

  /** A promise of the next event put (call it when `take()` found nothing). */
  wait(): Promise<Message> {
    return new Promise((resolve, reject) => {
      this.#resolves.push(resolve)
      this.#rejects.push(reject)
    })
  }

  /** Rejects every waiting `get()`/`wait()` with `error`. */
  cancelWaiting(error: Error): void {
    const rejects = this.#rejects.splice(0)
    this.#resolves.length = 0
    for (const reject of rejects) reject(error)
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

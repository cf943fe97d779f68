import type { Application, Receive, Scope, Send } from './types.js'

/**
 * Told once how an application call ended: the promise-free end of `kRunInto`. A clean
 * `StopConsumer` ends a consumer with `returned()`.
 */
export interface ExitReceiver {
  /** The application returned (`value`: what a promise-form application resolved with). */
  returned(value?: unknown): void
  /** The application failed with `error`. */
  raised(error: unknown): void
}

/**
 * `app[kRunInto](scope, receive, send, exit)` runs an application as `app(scope, receive,
 * send)` does, but tells `exit` how it ended instead of settling a promise: a connection that
 * lives for hours then keeps no promise chain through its routers. May throw synchronously
 * instead of calling `exit`.
 */
export type RunInto = (scope: Scope, receive: Receive, send: Send, exit: ExitReceiver) => void

/**
 * Where an application offers `RunInto`. The consumers' `asAsgi()` applications and the
 * routers have it; anything else (middleware, a plain function) is run through its promise.
 */
export const kRunInto: unique symbol = Symbol.for('node-channels.run-into')

/** `app`'s `RunInto`, or undefined when it only has the promise form. */
export function runIntoOf(app: Application): RunInto | undefined {
  const run = (app as Partial<Record<typeof kRunInto, unknown>>)[kRunInto]
  return typeof run === 'function' ? (run as RunInto) : undefined
}

/**
 * Runs `app` and tells `exit` how it ended: through `kRunInto` when the application has it,
 * else through the promise it returns. A synchronous throw is reported as `raised`.
 */
export function runApplication(
  app: Application,
  scope: Scope,
  receive: Receive,
  send: Send,
  exit: ExitReceiver,
): void {
  const run = runIntoOf(app)
  let result: unknown
  try {
    if (run !== undefined) {
      run.call(app, scope, receive, send, exit)
      return
    }
    result = app(scope, receive, send)
  } catch (error) {
    exit.raised(error)
    return
  }
  Promise.resolve(result).then(
    (value: unknown) => exit.returned(value),
    (error: unknown) => exit.raised(error),
  )
}

/**
 * The promise form of a `RunInto`: settles when it tells its exit, as an application's call
 * does (with the value `returned` passes on, as a router returns its route's result). Gives
 * `run` to the returned application under `kRunInto`.
 */
export function applicationOf(run: RunInto): Application {
  const app = (scope: Scope, receive: Receive, send: Send): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      run(scope, receive, send, {
        returned: (value) => resolve(value as undefined),
        raised: reject,
      })
    })
  Object.defineProperty(app, kRunInto, { value: run })
  return app
}

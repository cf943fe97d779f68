import { AsyncQueue } from './async-queue.js'
import type { Application, Message, Scope, Send } from './types.js'

/** An application started by hand: what it receives, what it sent, and its outcome. */
export interface RunningApp {
  input: AsyncQueue<Message>
  output: AsyncQueue<Message>
  /** The application's promise; already marked as handled. */
  done: Promise<void>
}

/** Calls an application with queue-backed receive/send, as a server would. */
export function startApp(app: Application, scope: Scope, send?: Send): RunningApp {
  const input = new AsyncQueue<Message>()
  const output = new AsyncQueue<Message>()
  const done = app(
    scope,
    () => input.get(),
    send ??
      (async (message) => {
        output.put(message)
      }),
  )
  done.catch(() => undefined)
  return { input, output, done }
}

/** A promise with its resolver exposed, for gating a handler. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined
  const promise = new Promise<T>((settle) => {
    resolve = settle
  })
  return { promise, resolve }
}

/** A WebSocket scope for tests. */
export const wsScope: Scope = {
  type: 'websocket',
  path: '/ws/',
  query_string: '',
  headers: [],
  subprotocols: [],
}

/** Lets every pending microtask and one macrotask turn run. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

// Test-only helpers for the middleware tests: drive an Application with hand-written
// receive/send functions (the communicators live in @node-channels/testing, which core
// must not import). Not exported from the package; excluded from the published files.
import type { Application, Message, Scope } from '../types.js'

/** A running application instance fed from a queue, with its output collected. */
export interface Running {
  /** Queues an event for the application's `receive()`. */
  input(message: Message): void
  /** Resolves with the next event the application sent; rejects after `timeoutMs`. */
  output(timeoutMs?: number): Promise<Message>
  /** Settles when the application returns or throws. */
  readonly done: Promise<void>
}

/** Starts `app` with `scope`; events are fed with `input()` and read with `output()`. */
export function run(app: Application, scope: Scope): Running {
  const inbox = new Queue<Message>()
  const outbox = new Queue<Message>()
  const done = app(
    scope,
    () => inbox.get(5_000),
    async (message) => outbox.put(message),
  )
  // Surfaced by whoever awaits `done`; never an unhandled rejection.
  done.catch(() => {})
  return {
    input: (message) => inbox.put(message),
    output: (timeoutMs = 1_000) =>
      Promise.race([outbox.get(timeoutMs), done.then(() => outbox.get(50))]),
    done,
  }
}

/** Runs one HTTP request through `app` and collects the response events. */
export async function httpRequest(
  app: Application,
  scope: Partial<Scope> & { headers?: Array<[string, string]> } = {},
): Promise<{ start: Message; body: Message; scope: Scope }> {
  const full = httpScope(scope)
  const running = run(app, full)
  running.input({ type: 'http.request', body: new Uint8Array(), more_body: false })
  const start = await running.output()
  const body = await running.output()
  await running.done
  return { start, body, scope: full }
}

/** An HTTP scope for GET /test/ with the given overrides. */
export function httpScope(
  overrides: Partial<Scope> & { headers?: Array<[string, string]> } = {},
): Scope {
  return {
    type: 'http',
    method: 'GET',
    path: '/test/',
    query_string: '',
    headers: [],
    ...overrides,
  } as Scope
}

/** A WebSocket scope for / with the given headers and overrides. */
export function websocketScope(
  headers: Array<[string, string]> = [],
  overrides: Record<string, unknown> = {},
): Scope {
  return {
    type: 'websocket',
    path: '/',
    query_string: '',
    headers,
    subprotocols: [],
    ...overrides,
  } as Scope
}

/** Sends `websocket.connect` and reports whether the application accepted. */
export async function connectWebsocket(app: Application, scope: Scope): Promise<Message> {
  const running = run(app, scope)
  running.input({ type: 'websocket.connect' })
  const answer = await running.output()
  running.input({ type: 'websocket.disconnect', code: 1000 })
  await running.done
  return answer
}

/** An application that accepts WebSocket connections and answers HTTP requests with 200. */
export const acceptingApp: Application = async (scope, receive, send) => {
  for (let i = 0; i < 100; i++) {
    const message = await receive()
    if (message.type === 'websocket.connect') await send({ type: 'websocket.accept' })
    else if (message.type === 'http.request') {
      await send({ type: 'http.response.start', status: 200, headers: [] })
      await send({ type: 'http.response.body', body: new TextEncoder().encode(scope.type) })
      return
    } else if (message.type === 'websocket.disconnect') return
  }
}

/** A FIFO whose `get()` waits for the next item, bounded by a timeout. */
class Queue<T> {
  readonly #items: T[] = []
  readonly #waiters: Array<(item: T) => void> = []

  put(item: T): void {
    const waiter = this.#waiters.shift()
    if (waiter) waiter(item)
    else this.#items.push(item)
  }

  get(timeoutMs: number): Promise<T> {
    if (this.#items.length > 0) return Promise.resolve(this.#items.shift() as T)
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.#waiters.indexOf(waiter)
        if (index >= 0) this.#waiters.splice(index, 1)
        reject(new Error(`Nothing arrived within ${timeoutMs} ms.`))
      }, timeoutMs)
      const waiter = (item: T) => {
        clearTimeout(timer)
        resolve(item)
      }
      this.#waiters.push(waiter)
    })
  }
}

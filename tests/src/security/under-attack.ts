// The frame of every security test file: one server under attack, and a well-behaved client on
// it that must still be served after each test.
import { afterAll, afterEach, beforeAll } from 'vitest'
import { GoodClient } from './harness.js'

/** What a server started for a test file offers here: its port, and a handle to close it by. */
export interface Closable {
  port: number
  handle: { close(): Promise<void> }
}

/** The server under attack, its good client, and a way to close more servers with it. */
export interface UnderAttack<S extends Closable> {
  /** The started server: read it in tests and hooks, once the file's `beforeAll` has run. */
  server: S
  /** The well-behaved client on it (checked after every test; a test may check it too). */
  good: GoodClient
  /** Closes `started` with the server after the file's tests; returns it. */
  alsoClose<T extends Closable>(started: T): T
}

/** Thrown when a test reads the server under attack before it has started. */
export class NotStartedError extends Error {
  override name = 'NotStartedError'
}

/** Stands for what `read()` returns once there is something: its properties, its methods bound to it. */
function lateView<T extends object>(read: () => T): T {
  return new Proxy({} as T, {
    get: (_, key) => {
      const target = read()
      const value: unknown = Reflect.get(target, key)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/**
 * Starts the file's server with `start` before its tests and opens a GoodClient on it, which
 * must get its echo after every test; after them closes the client and every server.
 */
export function underAttack<S extends Closable>(start: () => Promise<S>): UnderAttack<S> {
  let started: S | undefined
  let good: GoodClient | undefined
  const more: Closable[] = []
  const running = <T>(value: T | undefined): T => {
    if (value === undefined) throw new NotStartedError('The server under attack has not started.')
    return value
  }
  beforeAll(async () => {
    started = await start()
    good = await GoodClient.open(started.port)
  })
  afterEach(async () => {
    await running(good).assertEchoes()
  })
  afterAll(async () => {
    await running(good).close()
    await Promise.all([running(started), ...more].map(({ handle }) => handle.close()))
  })
  return {
    server: lateView(() => running(started)),
    good: lateView(() => running(good)),
    alsoClose: (other) => {
      more.push(other)
      return other
    },
  }
}

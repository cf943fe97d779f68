// Helpers shared by the router's tests (not exported from the package): a recording
// application, a call that forbids receive/send, and scripted receive/send pairs.
import type { Application, Message, Receive, Scope, Send } from '@node-channels/core'
import { expect } from 'vitest'
import { RouteNotFound } from './route-not-found.js'

/** Records the scopes it is called with and returns a value, like Channels' MockApplication. */
export class MockApplication {
  readonly scopes: Scope[] = []
  readonly app: Application

  constructor(returnValue: unknown) {
    const app = async (scope: Scope): Promise<unknown> => {
      this.scopes.push(scope)
      return returnValue
    }
    this.app = app as Application
  }

  /** The scope of the latest call. */
  get scope(): Scope | undefined {
    return this.scopes.at(-1)
  }

  /** How many times the application was called. */
  get calls(): number {
    return this.scopes.length
  }

  /** `url_route` of the latest call's scope. */
  get urlRoute(): unknown {
    return this.scope?.url_route
  }
}

/** A receive() a router must never call: routers only pass it on. */
export const forbiddenReceive: Receive = () =>
  Promise.reject(new Error('A router must not call receive().'))

/** A send() a router must never call: routers only pass it on. */
export const forbiddenSend: Send = () => Promise.reject(new Error('A router must not call send().'))

/** Calls a router with `scope`; a router that reads or writes events fails the test. */
export function call(app: Application, scope: Record<string, unknown>): Promise<unknown> {
  return app(scope as Scope, forbiddenReceive, forbiddenSend)
}

/** Calls a router expecting it to reject with `RouteNotFound`, and returns that error. */
export async function notFound(
  app: Application,
  scope: Record<string, unknown>,
): Promise<RouteNotFound> {
  const error: unknown = await call(app, scope).then(
    () => undefined,
    (reason: unknown) => reason,
  )
  expect(error).toBeInstanceOf(RouteNotFound)
  return error as RouteNotFound
}

/** A receive() that hands out `events` in order, and a send() that records what it gets. */
export function scripted(events: Message[]): {
  receive: Receive
  send: Send
  sent: Message[]
  /** Events not read yet. */
  left: () => number
} {
  const queue = [...events]
  const sent: Message[] = []
  return {
    receive: async () => {
      const next = queue.shift()
      if (!next) throw new Error('The application read past the scripted events.')
      return next
    },
    send: async (message) => {
      sent.push(message)
    },
    sent,
    left: () => queue.length,
  }
}

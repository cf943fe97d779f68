import { quoteValue } from '../quote-value.js'
import type { Application, Receive, Scope, Send } from '../types.js'
import { kPathRouting } from '../types.js'

/** Extra scope keys a middleware adds to its (copied) scope. */
export type ScopeAdditions = Record<string, unknown>

/**
 * The base class for middleware: wraps an inner application, adds keys to a copy of the
 * scope and calls the inner application with it. The caller's scope is never mutated.
 * One instance serves every connection, so keep per-connection state in the scope,
 * never on the instance. Turn an instance into an `Application` with `asApplication()`.
 * Mirrors `channels.middleware.BaseMiddleware` (`populate_scope` + `resolve_scope` become
 * one async `resolveScope()` that returns the keys to add).
 *
 * @example
 * class ClientIpMiddleware extends BaseMiddleware {
 *   override async resolveScope(scope: Scope) {
 *     return { client_ip: scope.type === 'websocket' ? scope.client?.[0] ?? null : null }
 *   }
 * }
 * const application = new ClientIpMiddleware(URLRouter([...])).asApplication()
 */
export class BaseMiddleware {
  /** The wrapped application. */
  readonly inner: Application

  constructor(inner: Application) {
    requireApplication(inner, new.target.name)
    this.inner = inner
  }

  /**
   * Returns the keys to add to the copied scope before the inner application runs.
   * Runs once per connection, before the application sees any event. The default adds nothing.
   */
  resolveScope(_scope: Readonly<Scope>): Promise<ScopeAdditions> {
    return Promise.resolve({})
  }

  /**
   * Handles one connection: copies the scope, adds `resolveScope()`'s keys and calls the
   * inner application. Override to wrap `receive` or `send` as well. Mirrors `__call__`.
   */
  async call(scope: Scope, receive: Receive, send: Send): Promise<void> {
    const additions = await this.resolveScope(scope)
    if (typeof additions !== 'object' || additions === null || Array.isArray(additions)) {
      throw new TypeError(
        `${this.constructor.name}.resolveScope() must return an object of scope keys; got ${quoteValue(additions)}.`,
      )
    }
    await this.inner({ ...scope, ...additions } as Scope, receive, send)
  }

  /** Returns this middleware as an `Application`, keeping the inner application's path-routing marker. */
  asApplication(): Application {
    return withPathRoutingOf(this.inner, (scope, receive, send) => this.call(scope, receive, send))
  }
}

/**
 * Copies `kPathRouting` from `inner` onto `outer` and returns `outer`, so that a nested
 * `URLRouter` wrapped in middleware is still matched as a prefix by the outer router.
 */
function withPathRoutingOf(inner: Application, outer: Application): Application {
  if (kPathRouting in inner) {
    Object.defineProperty(outer, kPathRouting, {
      value: Reflect.get(inner, kPathRouting),
      enumerable: true,
    })
  }
  return outer
}

/** Throws a TypeError naming `who` unless `value` is a function (an Application). */
export function requireApplication(value: unknown, who: string): asserts value is Application {
  if (typeof value !== 'function') {
    throw new TypeError(
      `${who} needs an application (a function) to wrap; got ${quoteValue(value)}.`,
    )
  }
}

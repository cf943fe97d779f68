import type { Application, ExitReceiver, Receive, Scope, Send, UrlRoute } from '@node-channels/core'
import { applicationOf, kPathRouting, runApplication } from '@node-channels/core'
import { describe, quote } from './quote.js'
import { RouteNotFound } from './route-not-found.js'
import type { RoutePattern } from './route-pattern.js'
import { compilePathRoute, compileRegexRoute } from './route-pattern.js'
import { routedScope } from './routed-scope.js'

/** Options of `path()` and `rePath()`. Mirrors the `kwargs=` and `name=` arguments of Django's. */
export interface RouteOptions {
  /** Extra `url_route.kwargs`; they override captured values of the same name, as in Django. */
  kwargs?: Record<string, string>
  /** A name for the route. Kept for reference; URLRouter does not use it (nor does Channels). */
  name?: string
}

/** One entry of a `URLRouter`, made by `path()` or `rePath()`. Mirrors Django's `URLPattern`. */
export class Route {
  /** The compiled pattern. */
  readonly pattern: RoutePattern
  /** The application the route leads to. */
  readonly app: Application
  /** Default kwargs, merged over the captured ones. */
  readonly kwargs: Readonly<Record<string, string>>
  /** The route's name, if it was given one. */
  readonly name: string | undefined

  constructor(pattern: RoutePattern, app: Application, options: RouteOptions) {
    this.pattern = pattern
    this.app = app
    this.kwargs = Object.freeze({ ...options.kwargs })
    this.name = options.name
  }
}

/**
 * Marks an application (middleware that wraps a `URLRouter`) as a nested router, so an outer
 * `URLRouter` matches its route as a prefix and routes the rest as `path_remaining`; returns it.
 * Sets `kPathRouting` from @node-channels/core, which core's middleware copies on its own.
 * Without the mark the route must match the whole path (Channels issue #1428).
 * Mirrors setting Channels' `_path_routing = True`.
 */
export function markPathRouting<T extends Application>(app: T): T {
  if (typeof app !== 'function') {
    throw new TypeError(`markPathRouting() expects an application function, got ${describe(app)}.`)
  }
  // Core's middleware may have copied the mark already, as a non-configurable property.
  if (Reflect.get(app, kPathRouting) !== true) {
    Object.defineProperty(app, kPathRouting, { value: true, enumerable: true })
  }
  return app
}

/**
 * A route in path-to-regexp 8 syntax: `path('ws/chat/:room_name/', ChatConsumer.asAsgi())`.
 * Values land in `scope.url_route.kwargs` as strings: Django's converters (`<int:year>`) do
 * not exist here, so coerce in the consumer (with zod, say). Mirrors `django.urls.path`.
 */
export function path(route: string, app: Application, options?: RouteOptions): Route {
  const pattern = compilePathRoute(route)
  return new Route(pattern, checkApplication('path', route, app), checkOptions('path', options))
}

/**
 * A route as a regular expression: `rePath(/^ws\/(?<id>\d+)\/$/, app)`; named groups
 * become kwargs, and without any, the groups become args. Searched for anywhere in the path
 * unless it ends with `$`, as Django does. Mirrors `django.urls.re_path`.
 */
export function rePath(regex: RegExp | string, app: Application, options?: RouteOptions): Route {
  const pattern = compileRegexRoute(regex)
  return new Route(pattern, checkApplication('rePath', regex, app), checkOptions('rePath', options))
}

/**
 * Routes a connection on `scope.path` to the first matching route, with the captured values in
 * `scope.url_route` (on a copy of the scope). As in Channels: `root_path` is removed by the
 * outermost router only, leading slashes are ignored at every level, a nested router (or
 * middleware marked with `markPathRouting()`) matches a prefix and routes `path_remaining`,
 * and a nested router that finds nothing lets the outer router try its next route.
 * No match at all: `RouteNotFound`. Mirrors `channels.routing.URLRouter`.
 *
 * Paths are matched as given (percent-decoded, never normalised): `..` is an ordinary segment
 * and an encoded slash (`%2F`) is a slash, so a `:param` never spans two segments.
 */
export function URLRouter(routes: readonly Route[]): Application {
  if (!Array.isArray(routes)) {
    throw new TypeError(`URLRouter() expects an array of routes, got ${describe(routes)}.`)
  }
  const table = routes.map((route: unknown, index) => {
    if (!(route instanceof Route)) {
      throw new TypeError(
        `URLRouter() expects routes made by path() or rePath(), got ${describe(route)} at index ${index}.`,
      )
    }
    // Decided here, as Channels does in URLRouter.__init__: nested routers match a prefix.
    return {
      route,
      endpoint: Reflect.get(route.app, kPathRouting) !== true,
      // A consumer's application routes nothing, so no not-found of it can fall through.
      consumer: typeof Reflect.get(route.app, 'consumerClass') === 'function',
    }
  })

  /**
   * Tries the routes from `first` on; throws (synchronously) when none matches. The matching
   * route's application runs with `exit`, or, unless it is a consumer's (whose not-found cannot
   * be this attempt's), with a `FallThrough` that lets the routes after it try when it fails
   * with the not-found of this very attempt, like Channels' Resolver404.
   */
  const attempt = (
    scope: Scope,
    remaining: string,
    first: number,
    receive: Receive,
    send: Send,
    exit: ExitReceiver,
  ): void => {
    const outer = scope.url_route ?? NO_ROUTE
    for (let index = first; index < table.length; index++) {
      const { route, endpoint, consumer } = table[index] as (typeof table)[number]
      const found = route.pattern.match(remaining, endpoint)
      if (!found) continue
      // A fresh url_route per attempt also identifies the attempt: middleware copies the
      // scope with spread, so a nested router sees this very object (see failedAttempts).
      const urlRoute: UrlRoute = {
        args: joinArgs(outer.args, found.args),
        kwargs: { ...outer.kwargs, ...found.kwargs, ...route.kwargs },
      }
      const routed = routedScope(scope, found.remaining, urlRoute)
      const then = consumer
        ? exit
        : new FallThrough(exit, urlRoute, () =>
            attempt(scope, remaining, index + 1, receive, send, exit),
          )
      runApplication(route.app, routed, receive, send, then)
      return
    }
    const error = new RouteNotFound(remaining)
    if (typeof scope.url_route === 'object' && scope.url_route !== null) {
      failedAttempts.set(error, scope.url_route)
    }
    throw error
  }

  // One form for both callers: a server runs it through kRunInto (no promise chain for the
  // connection's life), anyone else gets its promise, which settles with the route's result.
  return markPathRouting(
    applicationOf((scope, receive, send, exit) =>
      attempt(scope, routablePath(scope), 0, receive, send, exit),
    ),
  )
}

/**
 * How a route's application ended, seen by the router that ran it through kRunInto: the
 * not-found of a router that got this very attempt lets the next routes try (`tryNext`);
 * anything else goes on to `exit`.
 */
class FallThrough implements ExitReceiver {
  readonly #exit: ExitReceiver
  readonly #urlRoute: UrlRoute
  readonly #tryNext: () => void

  constructor(exit: ExitReceiver, urlRoute: UrlRoute, tryNext: () => void) {
    this.#exit = exit
    this.#urlRoute = urlRoute
    this.#tryNext = tryNext
  }

  returned(value?: unknown): void {
    this.#exit.returned(value)
  }

  raised(error: unknown): void {
    if (!isFailedAttempt(error, this.#urlRoute)) {
      this.#exit.raised(error)
      return
    }
    try {
      this.#tryNext()
    } catch (next) {
      this.#exit.raised(next)
    }
  }
}

// --- helpers ---

// The not-found errors of routers, with the url_route of the attempt they answer: the outer
// router that made that url_route object tries its next route, nobody else does.
const failedAttempts = new WeakMap<RouteNotFound, object>()

/** `url_route.args` of a route that captured none: one frozen empty array for every scope. */
const NO_ARGS: string[] = Object.freeze([]) as unknown as string[]

/** What an unrouted scope's matches extend: nothing (read only, never handed out). */
const NO_ROUTE: Readonly<UrlRoute> = Object.freeze({ args: NO_ARGS, kwargs: {} })

/**
 * A match's `url_route.args`, after those of the routers around it: frozen, as Channels'
 * tuple is immutable, so that the common case, no positional args, shares one array.
 */
function joinArgs(outer: readonly string[], found: readonly string[]): string[] {
  if (outer.length === 0 && found.length === 0) return NO_ARGS
  return Object.freeze([...outer, ...found]) as unknown as string[]
}

/**
 * The path a router matches: `path_remaining` in a nested router, else `path` without the
 * `root_path` (only the outermost router removes it), without its leading slashes.
 */
function routablePath(scope: Scope): string {
  if (typeof scope !== 'object' || scope === null) {
    throw new TypeError(`URLRouter expects a scope object, got ${describe(scope)}.`)
  }
  const nested = scope.path_remaining !== undefined
  const given: unknown = nested ? scope.path_remaining : scope.path
  if (given === undefined || given === null) {
    throw new TypeError("No 'path' key in connection scope, cannot route URLs")
  }
  if (typeof given !== 'string') {
    throw new TypeError(`URLRouter needs a string path in the scope, got ${describe(given)}.`)
  }
  let path = given
  if (!nested) {
    const rootPath: unknown = scope.root_path ?? ''
    if (typeof rootPath !== 'string') {
      throw new TypeError(`URLRouter needs a string root_path, got ${describe(rootPath)}.`)
    }
    if (!path.startsWith(rootPath)) throw new RouteNotFound(path)
    path = path.slice(rootPath.length)
  }
  return path.replace(/^\/+/, '')
}

/** Whether `error` is the not-found a nested router threw for the attempt `urlRoute`. */
function isFailedAttempt(error: unknown, urlRoute: UrlRoute): boolean {
  return error instanceof RouteNotFound && failedAttempts.get(error) === urlRoute
}

function checkApplication(caller: string, route: RegExp | string, app: unknown): Application {
  const where = typeof route === 'string' ? quote(route) : String(route)
  if (Array.isArray(app)) {
    throw new TypeError(
      `${caller}() got an array for the route ${where}: include() is not supported in URLRouter. ` +
        'Use nested URLRouter instances instead.',
    )
  }
  if (typeof app !== 'function') {
    throw new TypeError(
      `${caller}() expects an application function for the route ${where}, got ${describe(app)}.`,
    )
  }
  return app as Application
}

function checkOptions(caller: string, options: unknown): RouteOptions {
  if (options === undefined) return {}
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${caller}() expects an options object, got ${describe(options)}.`)
  }
  const { kwargs, name } = options as Record<string, unknown>
  if (kwargs !== undefined) {
    if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)) {
      throw new TypeError(`${caller}() expects kwargs to be an object, got ${describe(kwargs)}.`)
    }
    for (const [key, value] of Object.entries(kwargs)) {
      if (typeof value !== 'string') {
        throw new TypeError(
          `${caller}() expects string kwargs (url_route.kwargs holds strings), got ${describe(value)} for ${quote(key)}.`,
        )
      }
    }
  }
  if (name !== undefined && typeof name !== 'string') {
    throw new TypeError(`${caller}() expects name to be a string, got ${describe(name)}.`)
  }
  return { kwargs: kwargs as Record<string, string> | undefined, name }
}

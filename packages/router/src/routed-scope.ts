import type { Scope, UrlRoute } from '@node-channels/core'

/**
 * A copy of `scope` with `path_remaining` and `url_route` set: the properties `{ ...scope,
 * path_remaining, url_route }` would give, in the same order. Built by `Object.assign()` and
 * two assignments because V8 gives each object spread and then extended its own hidden class,
 * which a connection would keep (about half a KiB) for as long as it lives; this way every
 * routed scope of the same shape shares one.
 */
export function routedScope(scope: Scope, pathRemaining: string, urlRoute: UrlRoute): Scope {
  // Object.assign() would set a prototype from an own `__proto__` key; a spread defines it.
  if (Object.hasOwn(scope, '__proto__')) {
    return { ...scope, path_remaining: pathRemaining, url_route: urlRoute }
  }
  const routed: Scope = Object.assign({}, scope)
  routed.path_remaining = pathRemaining
  routed.url_route = urlRoute
  return routed
}

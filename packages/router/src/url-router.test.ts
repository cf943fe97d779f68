import type { Application, Receive, Scope, Send } from '@node-channels/core'
import { describe, expect, it } from 'vitest'
import { RouteNotFound } from './route-not-found.js'
import { kPathRouting, markPathRouting, path, rePath, URLRouter } from './url-router.js'

/** Records the scope it was called with and returns a value, like Channels' MockApplication. */
class MockApplication {
  scope: Scope | undefined
  calls = 0
  readonly app: Application

  constructor(returnValue: unknown) {
    const app = async (scope: Scope): Promise<unknown> => {
      this.scope = scope
      this.calls += 1
      return returnValue
    }
    this.app = app as Application
  }

  get urlRoute(): unknown {
    return this.scope?.url_route
  }
}

const receive: Receive = () => Promise.reject(new Error('A router must not call receive().'))
const send: Send = () => Promise.reject(new Error('A router must not call send().'))

function call(app: Application, scope: Record<string, unknown>): Promise<unknown> {
  return app(scope as Scope, receive, send)
}

async function notFound(app: Application, scope: Record<string, unknown>): Promise<RouteNotFound> {
  const error: unknown = await call(app, scope).then(
    () => undefined,
    (reason: unknown) => reason,
  )
  expect(error).toBeInstanceOf(RouteNotFound)
  return error as RouteNotFound
}

// Wraps a router the way middleware does: a copy of the scope with one more key.
function middleware(inner: Application): Application {
  return async (scope, receiveEvent, sendEvent) =>
    await inner({ ...scope, user: 'someone' }, receiveEvent, sendEvent)
}

describe('URLRouter (test_url_router)', () => {
  const posarg = new MockApplication(4)
  const kwarg = new MockApplication(5)
  const defaultKwarg = new MockApplication(6)
  const router = URLRouter([
    path('', new MockApplication(1).app),
    path('foo/', new MockApplication(2).app),
    rePath('bar', new MockApplication(3).app),
    rePath(/^posarg\/(\d+)\/$/, posarg.app),
    path('kwarg/:name/', kwarg.app),
    path('defaultkwargs/', defaultKwarg.app, { kwargs: { default: '42' } }),
  ])

  it('matches plain routes and returns what the application returns', async () => {
    expect(await call(router, { type: 'http', path: '/' })).toBe(1)
    expect(await call(router, { type: 'http', path: '/foo/' })).toBe(2)
  })

  it('searches for a rePath() pattern anywhere in the path, as Django does', async () => {
    expect(await call(router, { type: 'http', path: '/bar/' })).toBe(3)
    expect(await call(router, { type: 'http', path: '/bar/baz/' })).toBe(3)
    expect(await call(router, { type: 'http', path: '/foobar/zzz' })).toBe(3)
  })

  it('passes unnamed groups as positional args', async () => {
    expect(await call(router, { type: 'http', path: '/posarg/123/' })).toBe(4)
    expect(posarg.urlRoute).toEqual({ args: ['123'], kwargs: {} })
    expect(await call(router, { type: 'http', path: '/posarg/456/' })).toBe(4)
    expect(posarg.urlRoute).toEqual({ args: ['456'], kwargs: {} })
  })

  it('passes path() parameters as kwargs', async () => {
    expect(await call(router, { type: 'http', path: '/kwarg/hello/' })).toBe(5)
    expect(kwarg.urlRoute).toEqual({ args: [], kwargs: { name: 'hello' } })
    expect(await call(router, { type: 'http', path: '/kwarg/hellothere/' })).toBe(5)
    expect(kwarg.urlRoute).toEqual({ args: [], kwargs: { name: 'hellothere' } })
  })

  it('adds the default kwargs of the route', async () => {
    expect(await call(router, { type: 'http', path: '/defaultkwargs/' })).toBe(6)
    expect(defaultKwarg.urlRoute).toEqual({ args: [], kwargs: { default: '42' } })
  })

  it('removes root_path before matching', async () => {
    expect(await call(router, { type: 'http', path: '/root/', root_path: '/root' })).toBe(1)
    expect(await call(router, { type: 'http', path: '/root/foo/', root_path: '/root' })).toBe(2)
  })

  it('refuses a path outside root_path', async () => {
    const error = await notFound(router, { type: 'http', path: '/', root_path: '/root' })
    expect(error.message).toBe("No route found for path '/'.")
    expect(error.path).toBe('/')
  })

  it('throws RouteNotFound with Channels message when nothing matches', async () => {
    const error = await notFound(router, { type: 'http', path: '/nonexistent/' })
    expect(error.name).toBe('RouteNotFound')
    expect(error.message).toBe("No route found for path 'nonexistent/'.")
    expect(error.path).toBe('nonexistent/')
  })
})

describe('URLRouter nesting (test_url_router_nesting)', () => {
  const app = new MockApplication(1)
  const inner = URLRouter([
    rePath(/^book\/(?<book>[\w-]+)\/page\/(?<page>\d+)\/$/, app.app),
    rePath(/^test\/(\d+)\/$/, app.app),
  ])
  const outer = URLRouter([
    rePath(/^universe\/(?<universe>\d+)\/author\/(?<author>\w+)\//, inner),
    rePath(/^positional\/(\w+)\//, inner),
  ])

  it('merges the kwargs of both levels', async () => {
    const scope = {
      type: 'http',
      path: '/universe/42/author/andrewgodwin/book/channels-guide/page/10/',
    }
    expect(await call(outer, scope)).toBe(1)
    expect(app.urlRoute).toEqual({
      args: [],
      kwargs: { book: 'channels-guide', author: 'andrewgodwin', page: '10', universe: '42' },
    })
  })

  it('concatenates the args of both levels', async () => {
    expect(await call(outer, { type: 'http', path: '/positional/foo/test/3/' })).toBe(1)
    expect(app.urlRoute).toEqual({ args: ['foo', '3'], kwargs: {} })
  })

  it('lets inner kwargs win over outer ones of the same name', async () => {
    const leaf = new MockApplication('leaf')
    const router = URLRouter([path('a/:id/', URLRouter([path('b/:id/', leaf.app)]))])
    expect(await call(router, { type: 'http', path: '/a/1/b/2/' })).toBe('leaf')
    expect(leaf.urlRoute).toEqual({ args: [], kwargs: { id: '2' } })
  })
})

describe('URLRouter nesting with path() (test_url_router_nesting_path)', () => {
  const app = new MockApplication(1)
  const inner = URLRouter([path('test/:page/', app.app)])
  const outer = URLRouter([path('number/:number/', markPathRouting(middleware(inner)))])

  it('routes with the inner router alone', async () => {
    expect(await call(inner, { type: 'http', path: '/test/3/' })).toBe(1)
    expect(app.urlRoute).toEqual({ args: [], kwargs: { page: '3' } })
  })

  it('matches a prefix for marked middleware and merges the kwargs, as strings', async () => {
    expect(await call(outer, { type: 'http', path: '/number/42/test/3/' })).toBe(1)
    expect(app.urlRoute).toEqual({ args: [], kwargs: { number: '42', page: '3' } })
    expect(app.scope?.user).toBe('someone')
  })

  it('refuses extra segments and unknown inner paths', async () => {
    const extra = await notFound(outer, { type: 'http', path: '/number/42/test/3/bla/' })
    expect(extra.message).toBe("No route found for path 'number/42/test/3/bla/'.")
    const blub = await notFound(outer, { type: 'http', path: '/number/42/blub/' })
    expect(blub.message).toBe("No route found for path 'number/42/blub/'.")
  })

  it('treats unmarked middleware as an endpoint (Channels issue #1428)', async () => {
    const unmarked = URLRouter([path('number/:number/', middleware(inner))])
    const error = await notFound(unmarked, { type: 'http', path: '/number/42/test/3/' })
    expect(error.message).toBe("No route found for path 'number/42/test/3/'.")
  })

  it('marks every URLRouter, and markPathRouting() returns the application it marks', () => {
    expect(Reflect.get(inner, kPathRouting)).toBe(true)
    const wrapped = middleware(inner)
    expect(Reflect.get(wrapped, kPathRouting)).toBeUndefined()
    expect(markPathRouting(wrapped)).toBe(wrapped)
    expect(Reflect.get(wrapped, kPathRouting)).toBe(true)
    expect(() => markPathRouting('app' as unknown as Application)).toThrow(
      new TypeError("markPathRouting() expects an application function, got 'app'."),
    )
  })
})

describe('URLRouter with path() (test_url_router_path)', () => {
  const kwarg = new MockApplication(3)
  const router = URLRouter([
    path('', new MockApplication(1).app),
    path('foo/', new MockApplication(2).app),
    path('author/:name/', kwarg.app),
    path('year/:year/', kwarg.app),
  ])

  it('matches plain routes', async () => {
    expect(await call(router, { type: 'http', path: '/' })).toBe(1)
    expect(await call(router, { type: 'http', path: '/foo/' })).toBe(2)
  })

  it('captures parameters as strings; there are no converters', async () => {
    expect(await call(router, { type: 'http', path: '/author/andrewgodwin/' })).toBe(3)
    expect(kwarg.urlRoute).toEqual({ args: [], kwargs: { name: 'andrewgodwin' } })
    expect(await call(router, { type: 'http', path: '/year/2012/' })).toBe(3)
    expect(kwarg.urlRoute).toEqual({ args: [], kwargs: { year: '2012' } })
  })

  it('throws RouteNotFound for an unknown path', async () => {
    const error = await notFound(router, { type: 'http', path: '/nonexistent/' })
    expect(error.message).toBe("No route found for path 'nonexistent/'.")
  })
})

describe('URLRouter fall-through (test_path_remaining)', () => {
  const stuff = new MockApplication(2)
  const inner = URLRouter([path('no-match/', new MockApplication(1).app)])
  const outer = URLRouter([path('prefix/', inner), path('prefix/stuff/', stuff.app)])
  const outermost = URLRouter([path('', outer)])

  it('tries the next route when a nested router finds nothing', async () => {
    expect(await call(outer, { type: 'http', path: '/prefix/stuff/' })).toBe(2)
    expect(await call(outermost, { type: 'http', path: '/prefix/stuff/' })).toBe(2)
  })

  it('falls through under root_path too, which only the outermost router removes', async () => {
    const scope = { type: 'http', path: '/root/prefix/stuff/', root_path: '/root' }
    expect(await call(outermost, scope)).toBe(2)
    const twice = { type: 'http', path: '/root/root/prefix/stuff/', root_path: '/root' }
    expect((await notFound(outermost, twice)).message).toBe(
      "No route found for path 'root/prefix/stuff/'.",
    )
    const inside = { type: 'http', path: '/root/prefix/root/stuff/', root_path: '/root' }
    expect((await notFound(outermost, inside)).message).toBe(
      "No route found for path 'prefix/root/stuff/'.",
    )
  })

  it('falls through a nested router wrapped in marked middleware', async () => {
    const wrapped = URLRouter([
      path('prefix/', markPathRouting(middleware(inner))),
      path('prefix/stuff/', stuff.app),
    ])
    expect(await call(wrapped, { type: 'http', path: '/prefix/stuff/' })).toBe(2)
  })

  it('does not fall through on a RouteNotFound thrown by an application', async () => {
    const thrown = new RouteNotFound('elsewhere/')
    const fallback = new MockApplication('fallback')
    const consumer: Application = async () => {
      throw thrown
    }
    const router = URLRouter([
      path('prefix/', URLRouter([path('stuff/', consumer)])),
      path('prefix/stuff/', fallback.app),
    ])
    await expect(call(router, { type: 'http', path: '/prefix/stuff/' })).rejects.toBe(thrown)
    expect(fallback.calls).toBe(0)
  })

  it('does not fall through on any other error of an application', async () => {
    const fallback = new MockApplication('fallback')
    const router = URLRouter([
      path(
        'prefix/',
        URLRouter([path(':name/', async () => Promise.reject(new RangeError('boom')))]),
      ),
      path('prefix/stuff/', fallback.app),
    ])
    await expect(call(router, { type: 'http', path: '/prefix/stuff/' })).rejects.toThrow(
      new RangeError('boom'),
    )
    expect(fallback.calls).toBe(0)
  })

  it('reports a failed nested router called on its own as RouteNotFound', async () => {
    const error = await notFound(inner, { type: 'http', path: '/prefix/x/', path_remaining: 'x/' })
    expect(error.message).toBe("No route found for path 'x/'.")
  })
})

describe('URLRouter scopes', () => {
  it('copies the scope and leaves the original untouched', async () => {
    const leaf = new MockApplication('leaf')
    const router = URLRouter([path('chat/:room/', leaf.app)])
    const scope = { type: 'websocket', path: '/chat/lobby/', headers: [] }
    await call(router, scope)
    expect(scope).toEqual({ type: 'websocket', path: '/chat/lobby/', headers: [] })
    expect(leaf.scope).not.toBe(scope)
    // Exactly these keys: nothing hidden (not even a symbol) for tests of consumers to trip on.
    expect(leaf.scope).toEqual({
      type: 'websocket',
      path: '/chat/lobby/',
      headers: [],
      path_remaining: '',
      url_route: { args: [], kwargs: { room: 'lobby' } },
    })
  })

  it('passes receive and send through unchanged', async () => {
    let seen: [Receive, Send] | undefined
    const spy: Application = async (_scope, r, s) => {
      seen = [r, s]
    }
    const router = URLRouter([path('', spy)])
    await router({ type: 'http', path: '/' } as Scope, receive, send)
    expect(seen?.[0]).toBe(receive)
    expect(seen?.[1]).toBe(send)
  })

  it('leaves what an unanchored endpoint did not match in path_remaining', async () => {
    const leaf = new MockApplication('leaf')
    await call(URLRouter([rePath(/^a\//, leaf.app)]), { type: 'http', path: '/a/b/c' })
    expect(leaf.scope?.path_remaining).toBe('b/c')
  })

  it('ignores leading slashes in the path and in the route, at every level', async () => {
    const leaf = new MockApplication('leaf')
    const router = URLRouter([path('/api/', URLRouter([path('//chat/', leaf.app)]))])
    expect(await call(router, { type: 'http', path: '///api//chat/' })).toBe('leaf')
  })

  it('lets default kwargs override captured values, as Django does', async () => {
    const leaf = new MockApplication('leaf')
    const router = URLRouter([path('room/:name/', leaf.app, { kwargs: { name: 'fixed' } })])
    await call(router, { type: 'http', path: '/room/lobby/' })
    expect(leaf.urlRoute).toEqual({ args: [], kwargs: { name: 'fixed' } })
  })

  it('takes the first matching route', async () => {
    const router = URLRouter([
      path('a/:x/', new MockApplication('first').app),
      path('a/b/', new MockApplication('second').app),
    ])
    expect(await call(router, { type: 'http', path: '/a/b/' })).toBe('first')
  })

  it('matches a nested path() route as a plain prefix, as Django does', async () => {
    const leaf = new MockApplication('leaf')
    const router = URLRouter([path('api', URLRouter([path('chat/', leaf.app)]))])
    expect(await call(router, { type: 'http', path: '/api/chat/' })).toBe('leaf')
    expect(await call(router, { type: 'http', path: '/apichat/' })).toBe('leaf')
  })

  it('needs a path in the scope', async () => {
    const router = URLRouter([path('', new MockApplication(1).app)])
    await expect(call(router, { type: 'channel', channel: 'x' })).rejects.toThrow(
      new TypeError("No 'path' key in connection scope, cannot route URLs"),
    )
    await expect(call(router, { type: 'http', path: 42 })).rejects.toThrow(
      new TypeError('URLRouter needs a string path in the scope, got 42.'),
    )
    await expect(call(router, { type: 'http', path: '/', root_path: ['/x'] })).rejects.toThrow(
      new TypeError('URLRouter needs a string root_path, got ["/x"].'),
    )
  })
})

describe('URLRouter and path traversal', () => {
  // The server decodes `%2F` into `path` (keeping it in `raw_path`) and never resolves `..`.
  const admin = new MockApplication('admin')
  const file = new MockApplication('file')
  const router = URLRouter([
    path('public/', URLRouter([path(':file', file.app)])),
    path('admin/', admin.app),
  ])

  it.each([
    ['/public/../admin/', '/public/../admin/'],
    ['/public/../admin/', '/public/..%2Fadmin/'],
    ['/public/../admin/', '/public/%2E%2E/admin/'],
    ['/admin/../public/x', '/admin/../public/x'],
    ['/public/a/../../admin/', '/public/a/..%2F..%2Fadmin/'],
  ])('does not resolve dot segments: %s (sent as %s) reaches no route', async (decoded, raw) => {
    const error = await notFound(router, { type: 'http', path: decoded, raw_path: raw })
    expect(error.path).toBe(decoded.slice(1))
    expect(admin.calls).toBe(0)
    expect(file.calls).toBe(0)
  })

  it('treats a decoded %2F as a separator, so a parameter never spans two segments', async () => {
    const scope = { type: 'http', path: '/public/a/b', raw_path: '/public/a%2Fb' }
    expect((await notFound(router, scope)).message).toBe("No route found for path 'public/a/b'.")
    expect(await call(router, { type: 'http', path: '/public/a.txt' })).toBe('file')
    expect(file.urlRoute).toEqual({ args: [], kwargs: { file: 'a.txt' } })
  })

  it('lets an unanchored rePath() match anywhere, so anchor sensitive routes with ^', async () => {
    const unanchored = URLRouter([rePath(/admin\//, admin.app)])
    expect(await call(unanchored, { type: 'http', path: '/public/../admin/' })).toBe('admin')
    const anchored = URLRouter([rePath(/^admin\//, admin.app)])
    await notFound(anchored, { type: 'http', path: '/public/../admin/' })
  })
})

describe('URLRouter refuses invalid routes (test_invalid_routes)', () => {
  const app = new MockApplication(1).app

  it('refuses an array of routes in place of an application (there is no include())', () => {
    const routes = [path('x/', app)] as unknown as Application
    expect(() => path('', routes)).toThrow(
      new TypeError(
        "path() got an array for the route '': include() is not supported in URLRouter. " +
          'Use nested URLRouter instances instead.',
      ),
    )
  })

  it('refuses anything but an array of path() and rePath() routes', () => {
    expect(() => URLRouter('foo/' as unknown as [])).toThrow(
      new TypeError("URLRouter() expects an array of routes, got 'foo/'."),
    )
    const fake = { pattern: 'foo/', app }
    expect(() => URLRouter([path('', app), fake] as unknown as [])).toThrow(
      new TypeError(
        'URLRouter() expects routes made by path() or rePath(), got {"pattern":"foo/"} at index 1.',
      ),
    )
  })

  it('refuses a route that is not a string, or an application that is not a function', () => {
    expect(() => path(42 as unknown as string, app)).toThrow(
      new TypeError('path() expects a route string, got 42.'),
    )
    expect(() => path('x/', 'app' as unknown as Application)).toThrow(
      new TypeError("path() expects an application function for the route 'x/', got 'app'."),
    )
    expect(() => rePath(/^x\//, {} as unknown as Application)).toThrow(
      new TypeError('rePath() expects an application function for the route /^x\\//, got {}.'),
    )
    expect(() => rePath(42 as unknown as string, app)).toThrow(
      new TypeError('rePath() expects a RegExp or a string, got 42.'),
    )
  })

  it('refuses an invalid path-to-regexp route, quoting it', () => {
    expect(() => path('room/:/', app)).toThrow(
      new TypeError(
        "path() got an invalid route 'room/:/': Missing parameter name at index 6: room/:/; " +
          'visit https://git.new/pathToRegexpError for info',
      ),
    )
  })

  it('refuses an invalid regular expression, with a hint for Python named groups', () => {
    expect(() => rePath('^(?P<id>\\d+)/$', app)).toThrow(
      "rePath() got an invalid pattern '^(?P<id>\\\\d+)/$' (JavaScript writes named groups as " +
        '(?<name>...), not (?P<name>...)): Invalid regular expression: ',
    )
    expect(() => rePath('(', app)).toThrow(TypeError)
  })

  it('refuses a rePath() pattern that starts with a slash, since it could never match', () => {
    expect(() => rePath(/^\/ws\//, app)).toThrow(
      new TypeError(
        'rePath() got the pattern /^\\/ws\\//, which can never match: URLRouter strips leading ' +
          'slashes from the path before matching, so leave the slash out after "^".',
      ),
    )
    expect(() => rePath(/^\/?ws\//, app)).not.toThrow()
  })

  it('refuses kwargs that are not strings and a name that is not a string', () => {
    expect(() => path('x/', app, { kwargs: { page: 3 as unknown as string } })).toThrow(
      new TypeError(
        "path() expects string kwargs (url_route.kwargs holds strings), got 3 for 'page'.",
      ),
    )
    expect(() => path('x/', app, { kwargs: [] as unknown as Record<string, string> })).toThrow(
      new TypeError('path() expects kwargs to be an object, got [].'),
    )
    expect(() => rePath('x', app, { name: 7 as unknown as string })).toThrow(
      new TypeError('rePath() expects name to be a string, got 7.'),
    )
    expect(() => path('x/', app, null as unknown as undefined)).toThrow(
      new TypeError('path() expects an options object, got null.'),
    )
  })

  it('keeps the name and default kwargs of a valid route', () => {
    const route = path('x/', app, { name: 'x', kwargs: { a: 'b' } })
    expect(route.name).toBe('x')
    expect(route.kwargs).toEqual({ a: 'b' })
    expect(route.app).toBe(app)
    expect(route.pattern.description).toBe("'x/'")
  })
})

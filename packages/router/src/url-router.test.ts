import type { Application, Receive, Scope, Send, UrlRoute } from '@node-channels/core'
import { kPathRouting } from '@node-channels/core'
import { describe, expect, it } from 'vitest'
import { RouteNotFound } from './route-not-found.js'
import {
  call,
  forbiddenReceive,
  forbiddenSend,
  MockApplication,
  notFound,
} from './router.test-util.js'
import { markPathRouting, path, rePath, URLRouter } from './url-router.js'

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

  it('freezes args, as Channels keeps them in a tuple; every scope without any shares one', async () => {
    const argsOf = (app: MockApplication) => (app.urlRoute as UrlRoute).args
    await call(router, { type: 'http', path: '/posarg/123/' })
    expect(Object.isFrozen(argsOf(posarg))).toBe(true)
    await call(router, { type: 'http', path: '/kwarg/one/' })
    const first = argsOf(kwarg)
    await call(router, { type: 'http', path: '/kwarg/two/' })
    expect(argsOf(kwarg)).toBe(first)
    expect(Object.isFrozen(first)).toBe(true)
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
    // Marked already, as core's middleware marks itself: left as it is.
    const premarked = Object.defineProperty(middleware(inner), kPathRouting, { value: true })
    expect(markPathRouting(premarked)).toBe(premarked)
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
    await router({ type: 'http', path: '/' } as Scope, forbiddenReceive, forbiddenSend)
    expect(seen?.[0]).toBe(forbiddenReceive)
    expect(seen?.[1]).toBe(forbiddenSend)
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
    await expect(router(null as unknown as Scope, forbiddenReceive, forbiddenSend)).rejects.toThrow(
      new TypeError('URLRouter expects a scope object, got null.'),
    )
  })
})

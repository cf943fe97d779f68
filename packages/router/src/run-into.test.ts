// The routers run through kRunInto, as the server runs them: the same routes, fall-through and
// errors as their promise form, told to an ExitReceiver.
import {
  type Application,
  AsyncConsumer,
  type ExitReceiver,
  type Message,
  runApplication,
  runIntoOf,
  type Scope,
  StopConsumer,
} from '@node-channels/core'
import { describe, expect, it } from 'vitest'
import { ProtocolTypeRouter } from './protocol-type-router.js'
import { RouteNotFound } from './route-not-found.js'
import { forbiddenReceive, forbiddenSend, MockApplication } from './router.test-util.js'
import { markPathRouting, path, URLRouter } from './url-router.js'

/** Runs `app` through kRunInto; settles with how it ended. */
function runInto(app: Application, scope: Record<string, unknown>): Promise<unknown> {
  expect(runIntoOf(app)).toBeTypeOf('function')
  return new Promise((resolve) => {
    const exit: ExitReceiver = {
      returned: () => resolve('returned'),
      raised: (error) => resolve(error),
    }
    runApplication(app, scope as Scope, forbiddenReceive, forbiddenSend, exit)
  })
}

describe('URLRouter through kRunInto', () => {
  const stuff = new MockApplication(2)
  const first = new MockApplication(1)
  const inner = URLRouter([path('no-match/', first.app)])
  const outer = URLRouter([
    path('prefix/', inner),
    path('prefix/stuff/', stuff.app),
    path('kwarg/:name/', stuff.app),
  ])

  it('runs the matching route with url_route, and falls through a nested router that finds nothing', async () => {
    expect(await runInto(outer, { type: 'http', path: '/prefix/no-match/' })).toBe('returned')
    expect(first.calls).toBe(1)
    expect(await runInto(outer, { type: 'http', path: '/prefix/stuff/' })).toBe('returned')
    expect(await runInto(URLRouter([path('', outer)]), { type: 'http', path: '/kwarg/x/' })).toBe(
      'returned',
    )
    expect(stuff.calls).toBe(2)
    expect(stuff.urlRoute).toEqual({ args: [], kwargs: { name: 'x' } })
  })

  it('falls through marked middleware, and raises RouteNotFound when nothing matches', async () => {
    const wrapped = URLRouter([
      path(
        'prefix/',
        markPathRouting((scope, r, s) => inner({ ...scope, user: 'u' }, r, s)),
      ),
      path('prefix/stuff/', stuff.app),
    ])
    const before = stuff.calls
    expect(await runInto(wrapped, { type: 'http', path: '/prefix/stuff/' })).toBe('returned')
    expect(stuff.calls).toBe(before + 1)
    const missing = await runInto(wrapped, { type: 'http', path: '/nowhere/' })
    expect(missing).toBeInstanceOf(RouteNotFound)
    expect((missing as Error).message).toBe("No route found for path 'nowhere/'.")
  })

  it("does not fall through on an application's own RouteNotFound or other error", async () => {
    const thrown = new RouteNotFound('elsewhere/')
    const fallback = new MockApplication('fallback')
    const router = URLRouter([
      path('a/', URLRouter([path('b/', async () => Promise.reject(thrown))])),
      path('a/', URLRouter([path('c/', () => Promise.reject(new RangeError('boom')))])),
      path('a/b/', fallback.app),
      path('a/c/', fallback.app),
    ])
    expect(await runInto(router, { type: 'http', path: '/a/b/' })).toBe(thrown)
    expect(await runInto(router, { type: 'http', path: '/a/c/' })).toEqual(new RangeError('boom'))
    expect(fallback.calls).toBe(0)
  })

  it('runs a consumer route through its own kRunInto, to the end', async () => {
    const seen: Message[] = []
    class Once extends AsyncConsumer {
      test_once(message: Message): void {
        seen.push(message)
        throw new StopConsumer()
      }
    }
    const router = URLRouter([path('ws/', Once.asAsgi())])
    const ended = new Promise((resolve) => {
      runApplication(
        router,
        { type: 'websocket', path: '/ws/' } as Scope,
        async () => ({ type: 'test.once' }),
        forbiddenSend,
        { returned: () => resolve('returned'), raised: resolve },
      )
    })
    expect(await ended).toBe('returned')
    expect(seen).toEqual([{ type: 'test.once' }])
  })
})

describe('ProtocolTypeRouter through kRunInto', () => {
  it('runs the application for the scope type, and raises for a type it has none for', async () => {
    const ws = new MockApplication('ws')
    const router = ProtocolTypeRouter({ websocket: ws.app })
    expect(await runInto(router, { type: 'websocket', path: '/' })).toBe('returned')
    expect(ws.calls).toBe(1)
    expect(await runInto(router, { type: 'carrier-pigeon' })).toEqual(
      new TypeError("No application configured for scope type 'carrier-pigeon'"),
    )
    expect(await runInto(router, 'nope' as unknown as Record<string, unknown>)).toBeInstanceOf(
      TypeError,
    )
  })
})

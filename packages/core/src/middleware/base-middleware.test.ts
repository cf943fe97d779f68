import { describe, expect, it } from 'vitest'
import type { Application, Scope } from '../types.js'
import { kNodeHttp, kPathRouting } from '../types.js'
import { BaseMiddleware, type ScopeAdditions } from './base-middleware.js'
import { httpScope } from './harness.test-util.js'

/** An inner application that records the scopes it was called with. */
function recorder(): { app: Application; scopes: Scope[] } {
  const scopes: Scope[] = []
  return { scopes, app: async (scope) => void scopes.push(scope) }
}

class GreetingMiddleware extends BaseMiddleware {
  override async resolveScope(scope: Readonly<Scope>): Promise<ScopeAdditions> {
    return { greeting: `hello ${scope.type}` }
  }
}

const receive = async () => ({ type: 'never' })
const send = async () => {}

describe('BaseMiddleware', () => {
  it('calls the inner application with a copy of the scope, never the original', async () => {
    const { app, scopes } = recorder()
    const scope = httpScope()
    await new BaseMiddleware(app).asApplication()(scope, receive, send)
    expect(scopes).toHaveLength(1)
    expect(scopes[0]).not.toBe(scope)
    expect(scopes[0]).toEqual(scope)
  })

  it("adds resolveScope()'s keys to the copy and leaves the caller's scope alone", async () => {
    const { app, scopes } = recorder()
    const scope = httpScope()
    await new GreetingMiddleware(app).asApplication()(scope, receive, send)
    expect(scopes[0]?.greeting).toBe('hello http')
    expect('greeting' in scope).toBe(false)
  })

  it('keeps symbol-keyed scope entries such as kNodeHttp', async () => {
    const { app, scopes } = recorder()
    const raw = { req: 'node request' }
    await new GreetingMiddleware(app).asApplication()(
      { ...httpScope(), [kNodeHttp]: raw } as unknown as Scope,
      receive,
      send,
    )
    expect(Reflect.get(scopes[0] ?? {}, kNodeHttp)).toBe(raw)
  })

  it('one instance serves concurrent connections without sharing state', async () => {
    const { app, scopes } = recorder()
    const application = new GreetingMiddleware(app).asApplication()
    await Promise.all([
      application(httpScope({ path: '/a/' }), receive, send),
      application(
        { type: 'websocket', path: '/b/', query_string: '', headers: [], subprotocols: [] },
        receive,
        send,
      ),
    ])
    expect(scopes.map((scope) => [scope.path, scope.greeting])).toEqual([
      ['/a/', 'hello http'],
      ['/b/', 'hello websocket'],
    ])
  })

  it("carries the inner application's path-routing marker (nested URLRouter)", () => {
    const router: Application = Object.assign(async () => {}, { [kPathRouting]: true })
    const wrapped = new GreetingMiddleware(router).asApplication()
    expect(kPathRouting in wrapped).toBe(true)
    expect(Reflect.get(wrapped, kPathRouting)).toBe(true)
    expect(kPathRouting in new GreetingMiddleware(async () => {}).asApplication()).toBe(false)
    expect(kPathRouting).toBe(Symbol.for('node-channels.path-routing'))
  })

  it('refuses a non-function inner application with a TypeError', () => {
    expect(() => new GreetingMiddleware('app' as unknown as Application)).toThrow(
      new TypeError('GreetingMiddleware needs an application (a function) to wrap; got "app".'),
    )
  })

  it('refuses a resolveScope() that returns something other than an object', async () => {
    class Broken extends BaseMiddleware {
      override resolveScope(): Promise<ScopeAdditions> {
        return Promise.resolve(null as unknown as ScopeAdditions)
      }
    }
    await expect(
      new Broken(async () => {}).asApplication()(httpScope(), receive, send),
    ).rejects.toThrow(
      new TypeError('Broken.resolveScope() must return an object of scope keys; got null.'),
    )
  })
})

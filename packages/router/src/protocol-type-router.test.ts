import type { Application, Scope } from '@node-channels/core'
import { describe, expect, it } from 'vitest'
import type { ProtocolTypeRouterApplications } from './protocol-type-router.js'
import { ProtocolTypeRouter } from './protocol-type-router.js'
import { call, MockApplication, scripted } from './router.test-util.js'

const idle = scripted([])

describe('ProtocolTypeRouter (test_protocol_type_router)', () => {
  const websocket = new MockApplication('ws')
  const http = new MockApplication('http')
  const router = ProtocolTypeRouter({ websocket: websocket.app, http: http.app })

  it('dispatches on scope.type and passes the scope on unchanged', async () => {
    const scope = { type: 'websocket', path: '/ws/' }
    expect(await call(router, scope)).toBe('ws')
    expect(websocket.scopes[0]).toBe(scope)
    expect(await call(router, { type: 'http' })).toBe('http')
    expect(http.scopes).toHaveLength(1)
  })

  it('refuses an unconfigured scope type with Channels message', async () => {
    await expect(call(router, { type: 'aprs' })).rejects.toThrow(
      new TypeError("No application configured for scope type 'aprs'"),
    )
    await expect(call(router, { type: 'channel', channel: 'x' })).rejects.toThrow(
      new TypeError("No application configured for scope type 'channel'"),
    )
  })

  it('refuses a scope without a type', async () => {
    await expect(call(router, { tyyyype: 'http' })).rejects.toThrow(
      new TypeError("ProtocolTypeRouter got a scope without a 'type' key."),
    )
    await expect(router(null as unknown as Scope, idle.receive, idle.send)).rejects.toThrow(
      new TypeError('ProtocolTypeRouter expects a scope object, got null.'),
    )
  })

  it('never looks a scope type up on Object.prototype', async () => {
    for (const type of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      await expect(call(router, { type })).rejects.toThrow(
        new TypeError(`No application configured for scope type '${type}'`),
      )
    }
    await expect(call(router, { type: 7 })).rejects.toThrow(
      new TypeError('No application configured for scope type 7'),
    )
  })

  it('serves any other configured type, such as an extension scope', async () => {
    const custom = new MockApplication('custom')
    expect(
      await call(ProtocolTypeRouter({ webtransport: custom.app }), { type: 'webtransport' }),
    ).toBe('custom')
  })

  it('refuses applications that are not functions when it is built', () => {
    expect(() => ProtocolTypeRouter({ websocket: 'consumer' as unknown as Application })).toThrow(
      new TypeError(
        "ProtocolTypeRouter() expects an application function for scope type 'websocket', got 'consumer'.",
      ),
    )
    expect(() => ProtocolTypeRouter(null as unknown as ProtocolTypeRouterApplications)).toThrow(
      new TypeError(
        'ProtocolTypeRouter() expects an object of applications keyed by scope type, got null.',
      ),
    )
  })
})

describe('ProtocolTypeRouter defaults', () => {
  it('answers HTTP with a plain-text 404 when there is no http entry', async () => {
    const io = scripted([{ type: 'http.request', body: new Uint8Array(), more_body: false }])
    await ProtocolTypeRouter({})({ type: 'http' } as Scope, io.receive, io.send)
    expect(io.sent).toEqual([
      {
        type: 'http.response.start',
        status: 404,
        headers: [
          ['content-type', 'text/plain; charset=utf-8'],
          ['content-length', '10'],
        ],
      },
      {
        type: 'http.response.body',
        body: new TextEncoder().encode('Not Found\n'),
        more_body: false,
      },
    ])
  })

  it('completes lifespan startup and shutdown when there is no lifespan entry', async () => {
    const io = scripted([{ type: 'lifespan.startup' }, { type: 'lifespan.shutdown' }])
    const websocket = new MockApplication('ws')
    await ProtocolTypeRouter({ websocket: websocket.app })(
      { type: 'lifespan' } as Scope,
      io.receive,
      io.send,
    )
    expect(io.sent).toEqual([
      { type: 'lifespan.startup.complete' },
      { type: 'lifespan.shutdown.complete' },
    ])
    expect(websocket.scopes).toEqual([])
  })

  it('prefers the configured http and lifespan entries', async () => {
    const http = new MockApplication('http')
    const lifespan = new MockApplication('lifespan')
    const router = ProtocolTypeRouter({ http: http.app, lifespan: lifespan.app })
    expect(await call(router, { type: 'http' })).toBe('http')
    expect(await call(router, { type: 'lifespan' })).toBe('lifespan')
  })

  it('treats an entry set to undefined as absent', async () => {
    const io = scripted([{ type: 'http.request', body: new Uint8Array(), more_body: false }])
    await ProtocolTypeRouter({ http: undefined })({ type: 'http' } as Scope, io.receive, io.send)
    expect(io.sent[0]).toMatchObject({ type: 'http.response.start', status: 404 })
  })
})

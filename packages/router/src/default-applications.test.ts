import type { Scope } from '@node-channels/core'
import { describe, expect, it } from 'vitest'
import { httpNotFound, lifespanWithoutHooks } from './default-applications.js'
import { scripted } from './router.test-util.js'

const httpScope = { type: 'http', path: '/missing/' } as Scope
const lifespanScope = { type: 'lifespan' } as Scope
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

describe('httpNotFound', () => {
  it('reads the whole request body before answering 404', async () => {
    const io = scripted([
      { type: 'http.request', body: bytes('part one'), more_body: true },
      { type: 'http.request', body: bytes('part two'), more_body: true },
      { type: 'http.request', body: bytes(''), more_body: false },
    ])
    await httpNotFound(httpScope, io.receive, io.send)
    expect(io.left()).toBe(0)
    expect(io.sent.map((message) => message.type)).toEqual([
      'http.response.start',
      'http.response.body',
    ])
    expect(io.sent[0]).toMatchObject({ status: 404 })
    expect(new TextDecoder().decode(io.sent[1]?.body as Uint8Array)).toBe('Not Found\n')
    expect(io.sent[1]?.more_body).toBe(false)
  })

  it('treats an http.request without more_body as the last one', async () => {
    const io = scripted([{ type: 'http.request', body: bytes('x') }])
    await httpNotFound(httpScope, io.receive, io.send)
    expect(io.sent).toHaveLength(2)
  })

  it('sends nothing when the client goes away first', async () => {
    const io = scripted([
      { type: 'http.request', body: bytes('part'), more_body: true },
      { type: 'http.disconnect' },
    ])
    await httpNotFound(httpScope, io.receive, io.send)
    expect(io.sent).toEqual([])
  })

  it('refuses an event that is not part of an HTTP request', async () => {
    const io = scripted([{ type: 'websocket.connect' }])
    await expect(httpNotFound(httpScope, io.receive, io.send)).rejects.toThrow(
      new TypeError("Expected a 'http.request' event, got the event type 'websocket.connect'."),
    )
    expect(io.sent).toEqual([])
  })
})

describe('lifespanWithoutHooks', () => {
  it('answers startup and shutdown with complete, then ends', async () => {
    const io = scripted([{ type: 'lifespan.startup' }, { type: 'lifespan.shutdown' }])
    await lifespanWithoutHooks(lifespanScope, io.receive, io.send)
    expect(io.sent).toEqual([
      { type: 'lifespan.startup.complete' },
      { type: 'lifespan.shutdown.complete' },
    ])
  })

  it('ends on a shutdown that comes without a startup', async () => {
    const io = scripted([{ type: 'lifespan.shutdown' }, { type: 'lifespan.startup' }])
    await lifespanWithoutHooks(lifespanScope, io.receive, io.send)
    expect(io.sent).toEqual([{ type: 'lifespan.shutdown.complete' }])
    expect(io.left()).toBe(1)
  })

  it('refuses an unknown event, naming it', async () => {
    const io = scripted([{ type: 'lifespan.startup' }, { type: 'lifespan.reload' }])
    await expect(lifespanWithoutHooks(lifespanScope, io.receive, io.send)).rejects.toThrow(
      new TypeError(
        "Expected a 'lifespan.startup' or 'lifespan.shutdown' event, got the event type 'lifespan.reload'.",
      ),
    )
    expect(io.sent).toEqual([{ type: 'lifespan.startup.complete' }])
  })
})

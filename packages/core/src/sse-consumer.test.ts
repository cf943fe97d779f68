import { afterEach, describe, expect, it } from 'vitest'
import { deferred, startApp } from './consumer-harness.test-util.js'
import { InvalidChannelLayerError } from './errors.js'
import { InMemoryChannelLayer } from './layers/in-memory-layer.js'
import { resetChannelLayers, setChannelLayer } from './layers/registry.js'
import { ServerSentEventsConsumer } from './sse-consumer.js'
import { type HttpScope, kServerShutdown, type Message } from './types.js'

const text = (message: Message | undefined): string =>
  new TextDecoder().decode(message?.body as Uint8Array)

function httpScope(extra: Partial<HttpScope> = {}): HttpScope {
  return {
    type: 'http',
    method: 'GET',
    path: '/events',
    query_string: '',
    headers: [],
    ...extra,
  }
}

const receive = (output: { get(signal?: AbortSignal): Promise<Message> }): Promise<Message> =>
  output.get(AbortSignal.timeout(1000))

afterEach(async () => {
  await resetChannelLayers()
})

describe('ServerSentEventsConsumer', () => {
  it('starts an event stream, joins its groups, and forwards sse.event group messages', async () => {
    const layer = new InMemoryChannelLayer()
    setChannelLayer(layer)
    class Feed extends ServerSentEventsConsumer {
      override groups = ['news']
    }
    const app = startApp(Feed.asAsgi(), httpScope())
    app.input.put({ type: 'http.request', body: new Uint8Array(0) })
    expect(await receive(app.output)).toEqual({
      type: 'http.response.start',
      status: 200,
      headers: [
        ['content-type', 'text/event-stream; charset=utf-8'],
        ['cache-control', 'no-cache'],
        ['x-accel-buffering', 'no'],
      ],
    })
    expect(text(await receive(app.output))).toBe(':\n\n')
    await layer.groupSend('news', { type: 'sse.event', event: 'headline', data: 'a\nb', id: '1' })
    const body = await receive(app.output)
    expect(body.more_body).toBe(true)
    expect(text(body)).toBe('id: 1\nevent: headline\ndata: a\ndata: b\n\n')
    app.input.put({ type: 'http.disconnect' })
    await app.done
    // The group was left when the stream ended.
    await layer.groupSend('news', { type: 'sse.event', data: 'late' })
    expect(app.output.size).toBe(0)
  })

  it('sends keep-alive comments on an interval, and stops them when the client leaves', async () => {
    class Feed extends ServerSentEventsConsumer {
      override keepAliveIntervalMs = 20
    }
    const app = startApp(Feed.asAsgi(), httpScope())
    app.input.put({ type: 'http.request' })
    await receive(app.output)
    expect(text(await receive(app.output))).toBe(':\n\n')
    expect(text(await receive(app.output))).toBe(': keep-alive\n\n')
    expect(text(await receive(app.output))).toBe(': keep-alive\n\n')
    app.input.put({ type: 'http.disconnect' })
    await app.done
    const drained = app.output.size
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect(app.output.size).toBe(drained)
  })

  it('sends retry first, reads Last-Event-ID, and lets handle() refuse with a plain response', async () => {
    const seen = deferred<string | null>()
    class Feed extends ServerSentEventsConsumer {
      override async handle(): Promise<void> {
        seen.resolve(this.lastEventId)
        if (this.scope.query_string === 'deny') {
          await this.sendResponse(403, 'no')
          return
        }
        await this.startStream({ retryMs: 2500, headers: { 'x-feed': 'yes' } })
      }
    }
    const app = startApp(Feed.asAsgi(), httpScope({ headers: [['last-event-id', '41']] }))
    app.input.put({ type: 'http.request' })
    expect(await seen.promise).toBe('41')
    expect((await receive(app.output)).headers).toContainEqual(['x-feed', 'yes'])
    expect(text(await receive(app.output))).toBe('retry: 2500\n\n')
    app.input.put({ type: 'http.disconnect' })
    await app.done

    const denied = startApp(Feed.asAsgi(), httpScope({ query_string: 'deny' }))
    denied.input.put({ type: 'http.request' })
    expect((await receive(denied.output)).status).toBe(403)
    await denied.done
  })

  it('ends the stream when the server starts shutting down', async () => {
    const shutdown = new AbortController()
    class Feed extends ServerSentEventsConsumer {}
    const app = startApp(Feed.asAsgi(), {
      ...httpScope(),
      [kServerShutdown]: shutdown.signal,
    } as HttpScope)
    app.input.put({ type: 'http.request' })
    await receive(app.output)
    await receive(app.output)
    shutdown.abort()
    expect(await receive(app.output)).toMatchObject({
      type: 'http.response.body',
      more_body: false,
    })
    // The server then reports the finished response; the instance ends.
    app.input.put({ type: 'http.disconnect' })
    await app.done
  })

  it('refuses events before the stream starts, and groups without a layer', async () => {
    const failure = deferred<unknown>()
    class Early extends ServerSentEventsConsumer {
      override async handle(): Promise<void> {
        await this.sendEvent({ data: 'x' }).catch(failure.resolve)
        await this.sendResponse(204, '')
      }
    }
    const early = startApp(Early.asAsgi(), httpScope())
    early.input.put({ type: 'http.request' })
    expect(await failure.promise).toEqual(
      new TypeError('The stream is not open: call startStream() before sending events.'),
    )
    await early.done

    setChannelLayer(null)
    class Grouped extends ServerSentEventsConsumer {
      override groups = ['g']
    }
    const grouped = startApp(Grouped.asAsgi(), httpScope())
    grouped.input.put({ type: 'http.request' })
    await expect(grouped.done).rejects.toThrow(
      new InvalidChannelLayerError("BACKEND is unconfigured or doesn't support groups"),
    )
  })
})

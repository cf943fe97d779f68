// Ports django/channels tests/test_generic_http.py, plus the HTTP consumer behaviours of the
// checklist (§3.3 item 4) and what Channels cannot do: streaming after handle() returns.
import {
  AsyncHttpConsumer,
  InMemoryChannelLayer,
  type Message,
  type Receive,
  resetChannelLayers,
  type Send,
  setChannelLayer,
} from '@node-channels/core'
import { ApplicationCommunicator, HttpCommunicator } from '@node-channels/testing'
import { afterEach, describe, expect, it } from 'vitest'

afterEach(async () => {
  await resetChannelLayers()
})

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)
const bytes = (value: string): Uint8Array => new TextEncoder().encode(value)
const httpScope = {
  type: 'http' as const,
  http_version: '1.1',
  method: 'GET',
  path: '/',
  query_string: '',
  headers: [],
}

describe('test_async_http_consumer', () => {
  it('hands the whole body to handle() and turns a header record into pairs', async () => {
    class TestConsumer extends AsyncHttpConsumer {
      override async handle(body: Uint8Array): Promise<void> {
        const data = JSON.parse(text(body)) as { value: number }
        await this.sendResponse(200, bytes(JSON.stringify({ value: data.value })), {
          headers: { 'Content-Type': 'application/json' },
        })
      }
    }
    const communicator = new HttpCommunicator(TestConsumer.asAsgi(), 'POST', '/test/', {
      body: bytes(JSON.stringify({ value: 42, anything: [1, 2, 3] })),
    })
    const response = await communicator.getResponse()
    expect(response).toEqual({
      status: 200,
      headers: [['Content-Type', 'application/json']],
      body: bytes('{"value":42}'),
    })
  })
})

describe('test_error', () => {
  it('re-raises the error of handle() from getResponse()', async () => {
    class TestConsumer extends AsyncHttpConsumer {
      override handle(): void {
        throw new RangeError('Error correctly raised')
      }
    }
    const communicator = new HttpCommunicator(TestConsumer.asAsgi(), 'GET', '/')
    await expect(communicator.getResponse({ timeoutMs: 50 })).rejects.toThrow(
      new RangeError('Error correctly raised'),
    )
  })
})

describe('test_per_scope_consumers', () => {
  it('serves each request with a new instance', async () => {
    let created = 0
    class TestConsumer extends AsyncHttpConsumer {
      readonly id = ++created
      override async handle(): Promise<void> {
        await this.sendResponse(200, `instance ${this.id}`)
      }
    }
    const app = TestConsumer.asAsgi()
    const first = await new HttpCommunicator(app, 'GET', '/').getResponse()
    const second = await new HttpCommunicator(app, 'GET', '/').getResponse()
    expect(text(first.body)).toBe('instance 1')
    expect(text(second.body)).toBe('instance 2')
  })
})

describe('test_async_http_consumer_future', () => {
  it('works when receive and send return plain thenables', async () => {
    class TestConsumer extends AsyncHttpConsumer {
      override async handle(body: Uint8Array): Promise<void> {
        await this.sendResponse(200, body)
      }
    }
    const sent: Message[] = []
    const inbox: Message[] = [{ type: 'http.request', body: bytes('thenable') }]
    // Awaitables that are not Promises: `await` only needs a `then` method.
    const thenable = <T>(value: T): PromiseLike<T> => ({
      // biome-ignore lint/suspicious/noThenProperty: a hand-made awaitable is the point here.
      then: <R1, R2>(onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null) =>
        Promise.resolve(value).then(onFulfilled) as PromiseLike<R1 | R2>,
    })
    const receive = (() => thenable(inbox.shift())) as unknown as Receive
    const send = ((message: Message) => {
      sent.push(message)
      return thenable(undefined)
    }) as unknown as Send
    await TestConsumer.asAsgi()(httpScope, receive, send)
    expect(sent).toMatchObject([
      { type: 'http.response.start', status: 200, headers: [] },
      { type: 'http.response.body', more_body: false },
    ])
    expect(text(sent[1]?.body as Uint8Array)).toBe('thenable')
  })
})

describe('AsyncHttpConsumer', () => {
  it('assembles the body across more_body chunks', async () => {
    const bodies: string[] = []
    class Collect extends AsyncHttpConsumer {
      override async handle(body: Uint8Array): Promise<void> {
        bodies.push(text(body))
        await this.sendResponse(204, new Uint8Array(0))
      }
    }
    const communicator = new ApplicationCommunicator(Collect.asAsgi(), httpScope)
    await communicator.sendInput({ type: 'http.request', body: bytes('ab'), more_body: true })
    await communicator.sendInput({ type: 'http.request', body: bytes('cd'), more_body: true })
    await communicator.sendInput({ type: 'http.request', body: bytes('ef') })
    expect(await communicator.receiveOutput()).toEqual({
      type: 'http.response.start',
      status: 204,
      headers: [],
    })
    await communicator.receiveOutput()
    await communicator.wait()
    expect(bodies).toEqual(['abcdef'])
  })

  it('sends a string body as UTF-8 and refuses other bodies', async () => {
    class Strings extends AsyncHttpConsumer {
      override async handle(body: Uint8Array): Promise<void> {
        await this.sendHeaders({ headers: [['content-type', 'text/plain; charset=utf-8']] })
        await this.sendBody('héllo ', { moreBody: true })
        await this.sendBody((text(body) === 'bad' ? 42 : 'wörld') as string)
      }
    }
    const ok = await new HttpCommunicator(Strings.asAsgi(), 'GET', '/').getResponse()
    expect(ok.status).toBe(200)
    expect(ok.body).toEqual(bytes('héllo wörld'))
    const bad = new HttpCommunicator(Strings.asAsgi(), 'POST', '/', { body: 'bad' })
    await expect(bad.getResponse()).rejects.toThrow(
      new TypeError('The body must be a Uint8Array or a string, not 42.'),
    )
  })

  it('refuses a body before the headers, and headers twice', async () => {
    class Early extends AsyncHttpConsumer {
      override async handle(): Promise<void> {
        await this.sendBody('too early')
      }
    }
    await expect(new HttpCommunicator(Early.asAsgi(), 'GET', '/').getResponse()).rejects.toThrow(
      new TypeError('The response has not started: call sendHeaders() before sendBody().'),
    )
    class Twice extends AsyncHttpConsumer {
      override async handle(): Promise<void> {
        await this.sendHeaders()
        await this.sendHeaders()
      }
    }
    await expect(new HttpCommunicator(Twice.asAsgi(), 'GET', '/').getResponse()).rejects.toThrow(
      new TypeError('The response has already started: sendHeaders() may be called only once.'),
    )
  })

  it('needs handle() to be overridden, with Django’s message', async () => {
    const communicator = new HttpCommunicator(AsyncHttpConsumer.asAsgi(), 'GET', '/')
    await expect(communicator.getResponse()).rejects.toThrow(
      new TypeError('Subclasses of AsyncHttpConsumer must provide a handle() method.'),
    )
  })

  it('calls disconnect() once: after the response, and before an error propagates', async () => {
    const calls: string[] = []
    class Tracked extends AsyncHttpConsumer {
      override async handle(body: Uint8Array): Promise<void> {
        if (text(body) === 'fail') throw new Error('handler failed')
        await this.sendResponse(200, 'ok')
      }
      override disconnect(): void {
        calls.push('disconnect')
      }
    }
    const ok = new HttpCommunicator(Tracked.asAsgi(), 'POST', '/', { body: 'ok' })
    expect(text((await ok.getResponse()).body)).toBe('ok')
    await ok.wait()
    expect(calls).toEqual(['disconnect'])
    const failing = new HttpCommunicator(Tracked.asAsgi(), 'POST', '/', { body: 'fail' })
    await expect(failing.getResponse()).rejects.toThrow(new Error('handler failed'))
    expect(calls).toEqual(['disconnect', 'disconnect'])
  })
})

describe('AsyncHttpConsumer streaming (beyond Channels: issues #1747, #1302, #1249)', () => {
  class Events extends AsyncHttpConsumer {
    override async handle(): Promise<void> {
      await this.channelLayer?.groupAdd('news', this.channelName)
      await this.sendHeaders({ headers: { 'content-type': 'text/event-stream' } })
    }
    async news_item(message: Message): Promise<void> {
      const data = `data: ${String(message.text)}\n\n`
      await this.sendBody(data, { moreBody: message.last !== true })
    }
  }

  it('stays alive after handle() returns and streams channel-layer messages until the last', async () => {
    const layer = new InMemoryChannelLayer()
    setChannelLayer(layer)
    const communicator = new ApplicationCommunicator(Events.asAsgi(), httpScope)
    await communicator.sendInput({ type: 'http.request', body: new Uint8Array(0) })
    expect(await communicator.receiveOutput()).toEqual({
      type: 'http.response.start',
      status: 200,
      headers: [['content-type', 'text/event-stream']],
    })
    expect(await communicator.receiveNothing()).toBe(true)
    expect([...layer.groups.keys()]).toEqual(['news'])
    await layer.groupSend('news', { type: 'news.item', text: 'first' })
    expect(await communicator.receiveOutput()).toEqual({
      type: 'http.response.body',
      body: bytes('data: first\n\n'),
      more_body: true,
    })
    await layer.groupSend('news', { type: 'news.item', text: 'last', last: true })
    expect(await communicator.receiveOutput()).toEqual({
      type: 'http.response.body',
      body: bytes('data: last\n\n'),
      more_body: false,
    })
    await communicator.wait()
    expect(layer.groups.size).toBe(0)
    expect(layer.channels.size).toBe(0)
  })

  it('answers a long poll from a later channel-layer message', async () => {
    const layer = new InMemoryChannelLayer()
    setChannelLayer(layer)
    let joined: () => void = () => undefined
    const waiting = new Promise<void>((resolve) => {
      joined = resolve
    })
    class LongPoll extends AsyncHttpConsumer {
      override async handle(): Promise<void> {
        await this.channelLayer?.groupAdd('poll', this.channelName)
        joined()
      }
      async poll_result(message: Message): Promise<void> {
        await this.sendResponse(200, String(message.value))
      }
    }
    const communicator = new HttpCommunicator(LongPoll.asAsgi(), 'GET', '/poll')
    const response = communicator.getResponse()
    await waiting
    await layer.groupSend('poll', { type: 'poll.result', value: 'ready' })
    expect(text((await response).body)).toBe('ready')
    await communicator.wait()
    expect(layer.groups.size).toBe(0)
  })

  it('ends when the client goes away mid-stream, calling disconnect() and leaving its groups', async () => {
    const layer = new InMemoryChannelLayer()
    setChannelLayer(layer)
    const calls: string[] = []
    class Tracked extends Events {
      override disconnect(): void {
        calls.push('disconnect')
      }
    }
    const communicator = new ApplicationCommunicator(Tracked.asAsgi(), httpScope)
    await communicator.sendInput({ type: 'http.request' })
    await communicator.receiveOutput()
    await communicator.sendInput({ type: 'http.disconnect' })
    await communicator.wait()
    expect(calls).toEqual(['disconnect'])
    expect(layer.groups.size).toBe(0)
  })
})

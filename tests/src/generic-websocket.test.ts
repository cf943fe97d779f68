// Ports django/channels tests/test_generic_websocket.py: every sync test uses handlers that
// do not await (WebsocketConsumer), every async one awaits (AsyncWebsocketConsumer).
import {
  AsyncJsonWebsocketConsumer,
  AsyncWebsocketConsumer,
  getChannelLayer,
  InMemoryChannelLayer,
  JsonWebsocketConsumer,
  resetChannelLayers,
  SessionMiddlewareStack,
  setChannelLayer,
  WebsocketConsumer,
  type WebsocketFrame,
} from '@node-channels/core'
import { WebsocketCommunicator } from '@node-channels/testing'
import { afterEach, describe, expect, it } from 'vitest'

afterEach(async () => {
  await resetChannelLayers()
})

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

/** What the echo consumers of the first two tests record. */
type EchoResults = { connected?: boolean; received?: [unknown, unknown]; disconnected?: number }

/** Connects, echoes a text and a binary frame, then disconnects with `code` (default 1000). */
async function expectEcho(
  consumer: typeof WebsocketConsumer,
  results: EchoResults,
  code?: number,
): Promise<void> {
  const communicator = new WebsocketCommunicator(consumer.asAsgi(), '/testws/')
  const [connected] = await communicator.connect()
  expect(connected).toBe(true)
  expect(results.connected).toBe(true)
  await communicator.sendTo({ textData: 'hello' })
  expect(await communicator.receiveFrom()).toBe('hello')
  expect(results.received).toEqual(['hello', undefined])
  await communicator.sendTo({ bytesData: bytes('w\0\0\0') })
  expect(await communicator.receiveFrom()).toEqual(bytes('w\0\0\0'))
  expect(results.received).toEqual([undefined, bytes('w\0\0\0')])
  await communicator.disconnect(code)
  expect(results.disconnected).toBe(code ?? 1000)
}

describe('WebsocketConsumer (test_websocket_consumer)', () => {
  it('connects, echoes text and bytes, and calls disconnect(code)', async () => {
    const results: EchoResults = {}
    class TestConsumer extends WebsocketConsumer {
      override connect(): void {
        results.connected = true
        this.accept()
      }
      override receive({ textData, bytesData }: WebsocketFrame): void {
        results.received = [textData, bytesData]
        this.send({ textData, bytesData })
      }
      override disconnect(code: number): void {
        results.disconnected = code
      }
    }
    await expectEcho(TestConsumer, results)
  })
})

describe('AsyncWebsocketConsumer (test_async_websocket_consumer)', () => {
  it('connects, echoes text and bytes, and calls disconnect(code)', async () => {
    const results: EchoResults = {}
    class TestConsumer extends AsyncWebsocketConsumer {
      override async connect(): Promise<void> {
        results.connected = true
        await this.accept()
      }
      override async receive({ textData, bytesData }: WebsocketFrame): Promise<void> {
        results.received = [textData, bytesData]
        await this.send({ textData, bytesData })
      }
      override async disconnect(code: number): Promise<void> {
        results.disconnected = code
      }
    }
    await expectEcho(TestConsumer, results, 4001)
  })
})

describe('test_multiple_websocket_consumers_with_sessions', () => {
  it('gives each connection its own instance and scope behind SessionMiddlewareStack', async () => {
    class TestConsumer extends WebsocketConsumer {
      override receive(): void {
        this.send({ textData: this.scope.path })
      }
    }
    const app = SessionMiddlewareStack(TestConsumer.asAsgi(), { secret: 's'.repeat(32) })
    const communicator = new WebsocketCommunicator(app, '/first/')
    const second = new WebsocketCommunicator(app, '/second/')
    expect((await communicator.connect())[0]).toBe(true)
    expect((await second.connect())[0]).toBe(true)
    await second.sendTo({ textData: 'Echo Path' })
    expect(await second.receiveFrom()).toBe('/second/')
    await communicator.sendTo({ textData: 'Echo Path' })
    expect(await communicator.receiveFrom()).toBe('/first/')
    await communicator.disconnect()
    await second.disconnect()
  })
})

describe.each([
  ['WebsocketConsumer (test_websocket_consumer_subprotocol)', false],
  ['AsyncWebsocketConsumer (test_async_websocket_consumer_subprotocol)', true],
])('%s', (_name, awaiting) => {
  it('sees the offered subprotocols and accepts one', async () => {
    const offered: string[][] = []
    class TestConsumer extends WebsocketConsumer {
      // Sync when not awaiting: the handler returns before its send has gone out.
      override connect(): void | Promise<void> {
        offered.push(this.scope.subprotocols)
        const accepted = this.accept({ subprotocol: 'subprotocol2' })
        return awaiting ? accepted : undefined
      }
    }
    const communicator = new WebsocketCommunicator(TestConsumer.asAsgi(), '/testws/', {
      subprotocols: ['subprotocol1', 'subprotocol2'],
    })
    expect(await communicator.connect()).toEqual([true, 'subprotocol2'])
    expect(offered).toEqual([['subprotocol1', 'subprotocol2']])
    await communicator.disconnect()
  })
})

describe.each([
  ['WebsocketConsumer (test_websocket_consumer_groups)', false],
  ['AsyncWebsocketConsumer (test_async_websocket_consumer_groups)', true],
])('%s', (_name, awaiting) => {
  it('joins its groups on connect and leaves them on disconnect', async () => {
    const layer = new InMemoryChannelLayer()
    setChannelLayer(layer)
    const results: { received?: [unknown, unknown] } = {}
    class TestConsumer extends WebsocketConsumer {
      override groups = ['chat']
      override receive({ textData, bytesData }: WebsocketFrame): void | Promise<void> {
        results.received = [textData, bytesData]
        const sent = this.send({ textData, bytesData })
        return awaiting ? sent : undefined
      }
    }
    const communicator = new WebsocketCommunicator(TestConsumer.asAsgi(), '/testws/')
    await communicator.connect()
    expect(getChannelLayer()).toBe(layer)
    await layer.groupSend('chat', { type: 'websocket.receive', text: 'hello' })
    expect(await communicator.receiveFrom()).toBe('hello')
    expect(results.received).toEqual(['hello', undefined])
    await communicator.disconnect()
    expect(layer.groups.size).toBe(0)
  })
})

describe('test_async_websocket_consumer_specific_channel_layer', () => {
  it('uses the layer configured under its channelLayerAlias', async () => {
    setChannelLayer(new InMemoryChannelLayer(), 'testlayer')
    const results: { received?: [unknown, unknown] } = {}
    class TestConsumer extends AsyncWebsocketConsumer {
      static override channelLayerAlias = 'testlayer'
      override async receive({ textData, bytesData }: WebsocketFrame): Promise<void> {
        results.received = [textData, bytesData]
        await this.send({ textData, bytesData })
      }
    }
    const communicator = new WebsocketCommunicator(TestConsumer.asAsgi(), '/testws/')
    await communicator.connect()
    const layer = getChannelLayer('testlayer')
    expect(layer).toBeInstanceOf(InMemoryChannelLayer)
    const memory = layer as InMemoryChannelLayer
    const [channelName] = [...memory.channels.keys()]
    expect(channelName).toMatch(/^specific\.\.inmemory!/)
    await memory.send(channelName as string, { type: 'websocket.receive', text: 'hello' })
    expect(await communicator.receiveFrom()).toBe('hello')
    expect(results.received).toEqual(['hello', undefined])
    await communicator.disconnect()
  })
})

describe.each([
  ['JsonWebsocketConsumer (test_json_websocket_consumer)', JsonWebsocketConsumer, false],
  [
    'AsyncJsonWebsocketConsumer (test_async_json_websocket_consumer)',
    AsyncJsonWebsocketConsumer,
    true,
  ],
])('%s', (_name, Base, awaiting) => {
  it('decodes and echoes JSON; a binary frame closes with 1003 instead of crashing', async () => {
    const results: { received?: unknown } = {}
    class TestConsumer extends Base {
      override receiveJson(content: unknown): void | Promise<void> {
        results.received = content
        const sent = this.sendJson(content)
        return awaiting ? sent : undefined
      }
    }
    const communicator = new WebsocketCommunicator(TestConsumer.asAsgi(), '/testws/')
    expect((await communicator.connect())[0]).toBe(true)
    await communicator.sendJsonTo({ hello: 'world' })
    expect(await communicator.receiveJsonFrom()).toEqual({ hello: 'world' })
    expect(results.received).toEqual({ hello: 'world' })
    // Channels crashes the consumer with a ValueError here; we answer with a close code.
    await communicator.sendTo({ bytesData: bytes('w\0\0\0') })
    expect(await communicator.receiveOutput()).toEqual({ type: 'websocket.close', code: 1003 })
    await communicator.disconnect(1003)
  })
})

describe.each([
  ['test_block_underscored_type_function_call', '_my_private_handler'],
  ['test_block_leading_dot_type_function_call', '.my_private_handler'],
])('%s', (_name, type) => {
  it('refuses the message type and never calls the private method', async () => {
    setChannelLayer(new InMemoryChannelLayer(), 'testlayer')
    const called: string[] = []
    class TestConsumer extends AsyncWebsocketConsumer {
      static override channelLayerAlias = 'testlayer'
      async _my_private_handler(): Promise<void> {
        called.push('private')
        await this.send({ textData: 'should never be called' })
      }
    }
    const communicator = new WebsocketCommunicator(TestConsumer.asAsgi(), '/testws/')
    await communicator.connect()
    const layer = getChannelLayer('testlayer') as InMemoryChannelLayer
    const [channelName] = [...layer.channels.keys()]
    await layer.send(channelName as string, { type, text: 'hello' })
    await expect(communicator.receiveFrom()).rejects.toThrow(
      new TypeError(`Malformed type in message (leading underscore): ${JSON.stringify(type)}`),
    )
    expect(called).toEqual([])
  })
})

describe.each([
  ['WebsocketConsumer', false],
  ['AsyncWebsocketConsumer', true],
])('test_accept_headers (%s)', (_name, awaiting) => {
  it('sends the accept headers, which the communicator exposes as responseHeaders', async () => {
    class TestConsumer extends WebsocketConsumer {
      override connect(): void | Promise<void> {
        const accepted = this.accept({ headers: [['foo', 'bar']] })
        return awaiting ? accepted : undefined
      }
    }
    const communicator = new WebsocketCommunicator(TestConsumer.asAsgi(), '/testws/', {
      specVersion: '2.3',
    })
    expect(communicator.scope.asgi).toEqual({ version: '3.0', spec_version: '2.3' })
    expect(await communicator.connect()).toEqual([true, null])
    expect(communicator.responseHeaders).toEqual([['foo', 'bar']])
    await communicator.disconnect()
  })
})

describe.each([
  ['WebsocketConsumer', false],
  ['AsyncWebsocketConsumer', true],
])('test_close_reason (%s)', (_name, awaiting) => {
  it('sends the close code and reason', async () => {
    class TestConsumer extends WebsocketConsumer {
      override connect(): void | Promise<void> {
        const accepted = this.accept()
        const closed = this.close({ code: 4007, reason: 'test reason' })
        return awaiting ? Promise.all([accepted, closed]).then(() => undefined) : undefined
      }
    }
    const communicator = new WebsocketCommunicator(TestConsumer.asAsgi(), '/testws/')
    expect((await communicator.connect())[0]).toBe(true)
    expect(await communicator.receiveOutput()).toEqual({
      type: 'websocket.close',
      code: 4007,
      reason: 'test reason',
    })
    await communicator.disconnect(4007)
  })
})

describe('test_websocket_receive_with_none_text', () => {
  it('routes { text: null, bytes } as bytes, and text as text', async () => {
    class TestConsumer extends WebsocketConsumer {
      override receive({ textData, bytesData }: WebsocketFrame): void {
        if (textData !== undefined) this.send({ textData: `Received text: ${textData}` })
        else this.send({ textData: `Received bytes of length: ${bytesData?.length}` })
      }
    }
    const communicator = new WebsocketCommunicator(TestConsumer.asAsgi(), '/testws/')
    await communicator.connect()
    await communicator.sendInput({
      type: 'websocket.receive',
      text: null,
      bytes: bytes('test data'),
    })
    expect(await communicator.receiveFrom()).toBe('Received bytes of length: 9')
    await communicator.sendInput({ type: 'websocket.receive', bytes: bytes('test data') })
    expect(await communicator.receiveFrom()).toBe('Received bytes of length: 9')
    await communicator.sendInput({ type: 'websocket.receive', text: 'Hello, world!' })
    expect(await communicator.receiveFrom()).toBe('Received text: Hello, world!')
    await communicator.disconnect()
  })
})

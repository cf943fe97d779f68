import { afterEach, describe, expect, it } from 'vitest'
import { AsyncQueue } from './async-queue.js'
import type { ChannelLayer, ReceiveOptions } from './channel-layer.js'
import { AsyncConsumer } from './consumer.js'
import { deferred, startApp, wsScope } from './consumer-harness.test-util.js'
import { InvalidChannelLayerError, StopConsumer } from './errors.js'
import { InMemoryChannelLayer } from './layers/in-memory-layer.js'
import { resetChannelLayers, setChannelLayer } from './layers/registry.js'
import { Mailbox } from './mailbox.js'
import { type EventReceiver, kServerPort, type Message, type Receive } from './types.js'

afterEach(async () => {
  await resetChannelLayers()
})

/** A mailbox read by a test: its wake-up settles what `woken()` returned last. */
class TestMailbox extends Mailbox<{ wake(): void }> {
  readonly #reader: { wake(): void }

  constructor(reader = { wake: (): void => undefined }) {
    super(reader, (woken) => woken.wake())
    this.#reader = reader
  }

  /** Sleeps until the next message is queued. */
  woken(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#reader.wake = resolve
      this.sleep()
    })
  }
}

/** Takes `count` messages from a mailbox, waiting as a consumer does. */
async function takeAll(mailbox: TestMailbox, count: number): Promise<string[]> {
  const types: string[] = []
  while (types.length < count) {
    const message = mailbox.take()
    if (message === undefined) await mailbox.woken()
    else types.push(message.type)
  }
  return types
}

/** A client side as a server gives it: `receive()`, or only its port's promise-free `receiveInto()`. */
type ClientSide = { put(message: Message): void; receive: Receive }

function promiseClient(): ClientSide {
  const input = new AsyncQueue<Message>()
  return { put: (message) => input.put(message), receive: () => input.get() }
}

function pushClient(): ClientSide {
  const items: Message[] = []
  let waiting: EventReceiver | null = null
  const receiveInto = (receiver: EventReceiver): void => {
    const item = items.shift()
    if (item === undefined) waiting = receiver
    else receiver.deliver(item)
  }
  const receive = Object.assign(
    (): Promise<Message> => Promise.reject(new Error('receive() is not to be called')),
    { [kServerPort]: { receiveInto, send: () => Promise.reject(new Error('no sends here')) } },
  )
  const put = (message: Message): void => {
    const receiver = waiting
    waiting = null
    if (receiver === null) items.push(message)
    else receiver.deliver(message)
  }
  return { put, receive }
}

/** A layer that delegates to an in-memory one but has no `receiveInto()` fast path. */
class DelegatingLayer implements ChannelLayer {
  readonly inner = new InMemoryChannelLayer()
  readonly signals: AbortSignal[] = []
  readonly extensions = this.inner.extensions
  send(channel: string, message: Message): Promise<void> {
    return this.inner.send(channel, message)
  }
  receive(channel: string, options?: ReceiveOptions): Promise<Message> {
    if (options?.signal) this.signals.push(options.signal)
    return this.inner.receive(channel, options)
  }
  newChannel(prefix?: string): Promise<string> {
    return this.inner.newChannel(prefix)
  }
  groupAdd(group: string, channel: string): Promise<void> {
    return this.inner.groupAdd(group, channel)
  }
  groupDiscard(group: string, channel: string): Promise<void> {
    return this.inner.groupDiscard(group, channel)
  }
  groupSend(group: string, message: Message): Promise<void> {
    return this.inner.groupSend(group, message)
  }
  flush(): Promise<void> {
    return this.inner.flush()
  }
  close(): Promise<void> {
    return this.inner.close()
  }
}

describe('Mailbox', () => {
  const fastLayer = (): { layer: ChannelLayer; inner: InMemoryChannelLayer } => {
    const layer = new InMemoryChannelLayer()
    return { layer, inner: layer }
  }
  const slowLayer = (): { layer: ChannelLayer; inner: InMemoryChannelLayer } => {
    const layer = new DelegatingLayer()
    return { layer, inner: layer.inner }
  }
  it.each<
    [
      label: string,
      make: () => { layer: ChannelLayer; inner: InMemoryChannelLayer },
      client: () => ClientSide,
    ]
  >([
    ['the in-memory fast path, receive()', fastLayer, promiseClient],
    ['a layer read through receive(), receive()', slowLayer, promiseClient],
    ['the in-memory fast path, the server port', fastLayer, pushClient],
    ['a layer read through receive(), the server port', slowLayer, pushClient],
  ])(
    'dispatches in arrival order, one read ahead per source, across interleaved events (%s)',
    async (_label, make, client) => {
      const { layer, inner } = make()
      const channel = await layer.newChannel()
      const input = client()
      const mailbox = new TestMailbox()
      mailbox.addReceive(input.receive)
      mailbox.addLayer(layer, channel)
      input.put({ type: 'client.one' })
      await layer.send(channel, { type: 'layer.one' })
      input.put({ type: 'client.two' })
      await layer.send(channel, { type: 'layer.two' })
      await layer.send(channel, { type: 'layer.three' })
      input.put({ type: 'client.three' })
      // Each source reads one ahead: layer.three waits in its channel until layer.two is
      // taken, and client.three is read when client.two is taken, just before.
      expect(await takeAll(mailbox, 6)).toEqual([
        'client.one',
        'layer.one',
        'client.two',
        'layer.two',
        'client.three',
        'layer.three',
      ])
      // One read ahead at most: layer.four is read, layer.five waits in its channel.
      await layer.send(channel, { type: 'layer.four' })
      await layer.send(channel, { type: 'layer.five' })
      await takeAll(mailbox, 0)
      expect(inner.channels.get(channel)?.size).toBe(1)
      mailbox.close()
      expect(inner.channels.get(channel)?.size).toBe(1)
      expect(await inner.receive(channel)).toEqual({ type: 'layer.five' })
      expect(inner.channels.size).toBe(0)
    },
  )

  it('throws a failed read in its turn, after the messages that arrived before it', async () => {
    const layer = new InMemoryChannelLayer()
    const channel = await layer.newChannel()
    const input = new AsyncQueue<Message>()
    const mailbox = new TestMailbox()
    mailbox.addReceive(() => input.get())
    mailbox.addLayer(layer, channel)
    input.put({ type: 'client.one' })
    await layer.close()
    expect(await takeAll(mailbox, 1)).toEqual(['client.one'])
    expect(() => mailbox.take()).toThrow(
      new InvalidChannelLayerError('The channel layer was closed.'),
    )
  })

  it('turns a receive() that throws synchronously into a failed read', async () => {
    const mailbox = new TestMailbox()
    const failure = new Error('no receive')
    mailbox.addReceive(() => {
      throw failure
    })
    // Queued at once: there is nothing to sleep on.
    expect(() => mailbox.sleep()).toThrow(TypeError)
    expect(() => mailbox.take()).toThrow(failure)
  })
})

describe('AsyncConsumer on a layer without the fast path', () => {
  it('reads with one abort signal for its whole life, aborted without a DOMException at the end', async () => {
    const layer = new DelegatingLayer()
    setChannelLayer(layer)
    const channel = deferred<string>()
    const seen: string[] = []
    const third = deferred()
    class Reader extends AsyncConsumer {
      test_ready(): void {
        channel.resolve(this.channelName)
      }
      layer_message(message: Message): void {
        seen.push(String(message.n))
        if (message.n === 3) third.resolve()
      }
      test_stop(): void {
        throw new StopConsumer()
      }
    }
    const running = startApp(Reader.asAsgi(), wsScope)
    running.input.put({ type: 'test.ready' })
    const name = await channel.promise
    for (let n = 1; n <= 3; n++) await layer.send(name, { type: 'layer.message', n })
    await third.promise
    running.input.put({ type: 'test.stop' })
    await running.done
    expect(seen).toEqual(['1', '2', '3'])
    expect(layer.signals.length).toBeGreaterThanOrEqual(4)
    expect(new Set(layer.signals).size).toBe(1)
    const [signal] = layer.signals
    expect(signal?.aborted).toBe(true)
    expect(signal?.reason).not.toBeInstanceOf(Error)
    expect(layer.inner.channels.size).toBe(0)
  })

  it('reads an in-memory subclass that overrides receive() through receive()', async () => {
    const received: string[] = []
    class Watched extends InMemoryChannelLayer {
      override receive(channel: string, options?: ReceiveOptions): Promise<Message> {
        return super.receive(channel, options).then((message) => {
          received.push(message.type)
          return message
        })
      }
    }
    const layer = new Watched()
    setChannelLayer(layer)
    const channel = deferred<string>()
    class Reader extends AsyncConsumer {
      test_ready(): void {
        channel.resolve(this.channelName)
      }
      layer_stop(): void {
        throw new StopConsumer()
      }
    }
    const running = startApp(Reader.asAsgi(), wsScope)
    running.input.put({ type: 'test.ready' })
    await layer.send(await channel.promise, { type: 'layer.stop' })
    await running.done
    expect(received).toEqual(['layer.stop'])
    expect(layer.channels.size).toBe(0)
  })
})

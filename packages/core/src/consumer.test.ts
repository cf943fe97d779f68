import { AsyncLocalStorage } from 'node:async_hooks'
import { afterEach, describe, expect, it } from 'vitest'
import type { ChannelLayer } from './channel-layer.js'
import { AsyncConsumer } from './consumer.js'
import { deferred, nextTurn, startApp, wsScope } from './consumer-harness.test-util.js'
import { ConsumerChannelLayer } from './consumer-layer.js'
import { NoHandlerError } from './dispatch.js'
import { InvalidChannelLayerError, StopConsumer } from './errors.js'
import { InMemoryChannelLayer } from './layers/in-memory-layer.js'
import { getChannelLayer, resetChannelLayers, setChannelLayer } from './layers/registry.js'
import {
  type Application,
  kServerPort,
  type Message,
  type Send,
  type ServerPort,
  sendDone,
} from './types.js'

afterEach(async () => {
  await resetChannelLayers()
})

function memoryLayer(alias = 'default'): InMemoryChannelLayer {
  const layer = new InMemoryChannelLayer()
  setChannelLayer(layer, alias)
  return layer
}

describe('AsyncConsumer.asAsgi', () => {
  it('builds a new instance per connection, with init passed to the constructor', async () => {
    const instances: Counter[] = []
    class Counter extends AsyncConsumer {
      readonly label: string
      constructor(init?: { label: string }) {
        super()
        this.label = init?.label ?? 'none'
        instances.push(this)
      }
      test_stop(): void {
        throw new StopConsumer()
      }
    }
    const app = Counter.asAsgi({ label: 'room' })
    expect(app.consumerClass).toBe(Counter)
    expect(app.consumerInit).toEqual({ label: 'room' })
    expect(app.name).toBe('Counter')
    for (let index = 0; index < 2; index++) {
      const running = startApp(app, wsScope)
      running.input.put({ type: 'test.stop' })
      await running.done
    }
    expect(instances).toHaveLength(2)
    expect(instances[0]).not.toBe(instances[1])
    expect(instances.map((instance) => instance.label)).toEqual(['room', 'room'])
    expect(instances[0]?.scope).toBe(wsScope)
  })
})

/** Runs one instance for a single `test.probe` event that stops it; returns the instance. */
async function probedInstance(): Promise<AsyncConsumer> {
  const seen = deferred<AsyncConsumer>()
  class Probe extends AsyncConsumer {
    test_probe(): void {
      seen.resolve(this)
      throw new StopConsumer()
    }
  }
  const running = startApp(Probe.asAsgi(), wsScope)
  running.input.put({ type: 'test.probe' })
  const consumer = await seen.promise
  await running.done
  return consumer
}

describe('AsyncConsumer channel layer', () => {
  it('uses the default in-memory layer when none is configured', async () => {
    const consumer = await probedInstance()
    expect(consumer.channelLayer).toBeInstanceOf(ConsumerChannelLayer)
    expect((consumer.channelLayer as ConsumerChannelLayer).layer).toBe(getChannelLayer())
    expect(getChannelLayer()).toBeInstanceOf(InMemoryChannelLayer)
    expect(consumer.channelName).toMatch(/^specific\.\.inmemory![a-zA-Z]{12}$/)
  })

  it('has no channelName at all when the layer is configured as null', async () => {
    setChannelLayer(null)
    const consumer = await probedInstance()
    expect(consumer.channelLayer).toBeNull()
    expect('channelName' in consumer).toBe(false)
  })

  it('takes its layer from static channelLayerAlias', async () => {
    const other = memoryLayer('other')
    const seen = deferred<string>()
    class Aliased extends AsyncConsumer {
      static override channelLayerAlias = 'other'
      test_probe(): void {
        seen.resolve(this.channelName)
      }
      test_stop(): void {
        throw new StopConsumer()
      }
    }
    const running = startApp(Aliased.asAsgi(), wsScope)
    running.input.put({ type: 'test.probe' })
    const channel = await seen.promise
    expect([...other.channels.keys()]).toEqual([channel])
    running.input.put({ type: 'test.stop' })
    await running.done
    expect(other.channels.size).toBe(0)
  })
})

describe('AsyncConsumer ordering', () => {
  it('runs handlers one at a time: a slow handler delays the next client event and layer message', async () => {
    const layer = memoryLayer()
    const log: string[] = []
    const started = deferred<string>()
    const gate = deferred()
    class Ordered extends AsyncConsumer {
      async test_slow(): Promise<void> {
        log.push('slow:start')
        started.resolve(this.channelName)
        await gate.promise
        log.push('slow:end')
      }
      test_fast(message: Message): void {
        log.push(`fast:${String(message.n)}`)
      }
      async layer_message(): Promise<void> {
        log.push('layer')
      }
      test_stop(): void {
        throw new StopConsumer()
      }
    }
    const running = startApp(Ordered.asAsgi(), wsScope)
    running.input.put({ type: 'test.slow' })
    const channel = await started.promise
    running.input.put({ type: 'test.fast', n: 1 })
    await layer.send(channel, { type: 'layer.message' })
    running.input.put({ type: 'test.fast', n: 2 })
    await nextTurn()
    // The layer message has been taken off the channel, yet nothing ran while test_slow waits.
    expect(layer.channels.get(channel)?.size ?? 0).toBe(0)
    expect(log).toEqual(['slow:start'])
    gate.resolve()
    running.input.put({ type: 'test.stop' })
    await running.done
    // Each source reads one message ahead: fast:2 was read after fast:1 was taken.
    expect(log).toEqual(['slow:start', 'slow:end', 'fast:1', 'layer', 'fast:2'])
  })
})

describe('AsyncConsumer between turns', () => {
  it('follows async handlers again after sleeping through turns, and ends with a later rejection', async () => {
    memoryLayer()
    const log: string[] = []
    class Sleeper extends AsyncConsumer {
      async test_echo(message: Message): Promise<void> {
        await Promise.resolve()
        log.push(`echo:${String(message.n)}`)
      }
      async test_fail(): Promise<void> {
        await Promise.resolve()
        throw new Error('failed after a sleep')
      }
    }
    const running = startApp(Sleeper.asAsgi(), wsScope)
    running.input.put({ type: 'test.echo', n: 1 })
    // Asleep at the end of these turns: the instance drops its handler reactions.
    await nextTurn()
    await nextTurn()
    running.input.put({ type: 'test.echo', n: 2 })
    await nextTurn()
    await nextTurn()
    expect(log).toEqual(['echo:1', 'echo:2'])
    running.input.put({ type: 'test.fail' })
    await expect(running.done).rejects.toThrow('failed after a sleep')
  })
})

describe('AsyncConsumer sends', () => {
  it("go through the server's port when send carries one, else through send itself", async () => {
    const through: string[] = []
    class Greeter extends AsyncConsumer {
      async websocket_connect(): Promise<void> {
        await this.baseSend({ type: 'websocket.accept' })
      }
      websocket_disconnect(): void {
        throw new StopConsumer()
      }
    }
    const plain: Send = async () => {
      through.push('function')
    }
    const port = {
      receiveInto: () => {},
      send: (): Promise<void> => {
        through.push('port')
        return sendDone
      },
    } satisfies ServerPort
    const withPort = Object.assign(plain, { [kServerPort]: port })
    for (const send of [withPort, async (message: Message) => plain(message)]) {
      const running = startApp(Greeter.asAsgi(), wsScope, send)
      running.input.put({ type: 'websocket.connect' })
      await nextTurn()
      running.input.put({ type: 'websocket.disconnect', code: 1000 })
      await running.done
    }
    expect(through).toEqual(['port', 'function'])
  })
})

describe('AsyncConsumer async context', () => {
  /** The application as a server with a port (`kServerPort`) would call it. */
  const viaServerPort =
    (app: Application): Application =>
    (scope, receive, send) =>
      app(
        scope,
        Object.assign(() => receive(), {
          [kServerPort]: {
            receiveInto: (receiver) => {
              receive().then(
                (message) => receiver.deliver(message),
                (error: unknown) => receiver.fail(error),
              )
            },
            send,
          } satisfies ServerPort,
        }),
        send,
      )

  it.each([
    ['receive()', (app: Application): Application => app],
    ['kServerPort', viaServerPort],
  ])(
    'runs every handler in the async context the application was called in, whoever sent the event (%s)',
    async (_label, serve) => {
      memoryLayer()
      const storage = new AsyncLocalStorage<string>()
      const seen: string[] = []
      class Member extends AsyncConsumer {
        async test_join(): Promise<void> {
          await this.channelLayer?.groupAdd('room', this.channelName)
          seen.push(`join in ${storage.getStore()}`)
        }
        test_shout(): Promise<void> | undefined {
          seen.push(`shout in ${storage.getStore()}`)
          return this.channelLayer?.groupSend('room', { type: 'room.note' })
        }
        room_note(): void {
          seen.push(`note in ${storage.getStore()}`)
        }
      }
      const a = storage.run('a', () => startApp(serve(Member.asAsgi()), wsScope))
      const b = storage.run('b', () => startApp(serve(Member.asAsgi()), wsScope))
      a.input.put({ type: 'test.join' })
      await nextTurn()
      b.input.put({ type: 'test.join' })
      await nextTurn()
      storage.run('outsider', () => b.input.put({ type: 'test.shout' }))
      await nextTurn()
      expect(seen.slice(0, 3)).toEqual(['join in a', 'join in b', 'shout in b'])
      expect(seen.slice(3).sort()).toEqual(['note in a', 'note in b'])
    },
  )
})

describe('AsyncConsumer handler results', () => {
  it('awaits a thenable that is not a promise before the next handler starts', async () => {
    const log: string[] = []
    const gate = deferred()
    class Thenable extends AsyncConsumer {
      test_slow(): PromiseLike<void> {
        log.push('slow:start')
        return {
          // biome-ignore lint/suspicious/noThenProperty: a thenable that is not a promise is the point.
          then(onFulfilled, onRejected) {
            return gate.promise
              .then(() => {
                log.push('slow:end')
              })
              .then(onFulfilled, onRejected)
          },
        } as PromiseLike<void>
      }
      test_next(): void {
        log.push('next')
        throw new StopConsumer()
      }
    }
    const running = startApp(Thenable.asAsgi(), wsScope)
    running.input.put({ type: 'test.slow' })
    running.input.put({ type: 'test.next' })
    await nextTurn()
    expect(log).toEqual(['slow:start'])
    gate.resolve()
    await running.done
    expect(log).toEqual(['slow:start', 'slow:end', 'next'])
  })

  it('ends the instance with the error of a thenable whose then() throws', async () => {
    const broken = new Error('then() is broken')
    class Broken extends AsyncConsumer {
      test_broken(): PromiseLike<void> {
        return {
          // biome-ignore lint/suspicious/noThenProperty: a thenable that is not a promise is the point.
          then: () => {
            throw broken
          },
        } as unknown as PromiseLike<void>
      }
      test_next(): void {
        throw new Error('test_next must not run after a failed handler')
      }
    }
    const running = startApp(Broken.asAsgi(), wsScope)
    running.input.put({ type: 'test.broken' })
    running.input.put({ type: 'test.next' })
    await expect(running.done).rejects.toBe(broken)
  })

  it('drains a run of sync handlers in order, each send handed over before the next handler', async () => {
    const delivered: string[] = []
    const log: string[] = []
    const send = async (message: Message): Promise<void> => {
      delivered.push(message.type)
    }
    class Sync extends AsyncConsumer {
      test_quiet(message: Message): void {
        log.push(`quiet:${String(message.n)}:${delivered.length}`)
      }
      test_loud(message: Message): void {
        log.push(`loud:${String(message.n)}:${delivered.length}`)
        this.baseSend({ type: `out.${String(message.n)}` })
      }
      test_stop(): void {
        throw new StopConsumer()
      }
    }
    const running = startApp(Sync.asAsgi(), wsScope, send)
    for (let n = 1; n <= 4; n++) running.input.put({ type: n % 2 ? 'test.quiet' : 'test.loud', n })
    running.input.put({ type: 'test.stop' })
    await running.done
    expect(log).toEqual(['quiet:1:0', 'loud:2:0', 'quiet:3:1', 'loud:4:1'])
    expect(delivered).toEqual(['out.2', 'out.4'])
  })
})

describe('AsyncConsumer end and clean-up', () => {
  class Joiner extends AsyncConsumer {
    async test_join(message: Message): Promise<void> {
      await this.channelLayer?.groupAdd(String(message.group), this.channelName)
      await this.baseSend({ type: 'test.joined' })
    }
    test_crash(): void {
      throw new Error('handler crashed')
    }
    test_stop(): void {
      throw new StopConsumer()
    }
  }

  it('leaves groups joined by hand and releases its channel after a crash', async () => {
    const layer = memoryLayer()
    const running = startApp(Joiner.asAsgi(), wsScope)
    running.input.put({ type: 'test.join', group: 'g1' })
    running.input.put({ type: 'test.join', group: 'g2' })
    await running.output.get()
    await running.output.get()
    expect([...layer.groups.keys()]).toEqual(['g1', 'g2'])
    expect(layer.channels.size).toBe(1)
    await layer.groupSend('g1', { type: 'test.crash' })
    await expect(running.done).rejects.toThrow(new Error('handler crashed'))
    expect(layer.groups.size).toBe(0)
    expect(layer.channels.size).toBe(0)
  })

  it('ends cleanly on StopConsumer and leaves its groups too', async () => {
    const layer = memoryLayer()
    const running = startApp(Joiner.asAsgi(), wsScope)
    running.input.put({ type: 'test.join', group: 'room' })
    await running.output.get()
    running.input.put({ type: 'test.stop' })
    await expect(running.done).resolves.toBeUndefined()
    expect(layer.groups.size).toBe(0)
    expect(layer.channels.size).toBe(0)
  })

  it('refuses to add its channel to a group once it has ended', async () => {
    const layer = memoryLayer()
    const kept = deferred<{ handle: ChannelLayer; channel: string }>()
    class Leaky extends AsyncConsumer {
      test_keep(): void {
        kept.resolve({ handle: this.channelLayer as ChannelLayer, channel: this.channelName })
        throw new StopConsumer()
      }
    }
    const running = startApp(Leaky.asAsgi(), wsScope)
    running.input.put({ type: 'test.keep' })
    const { handle, channel } = await kept.promise
    await running.done
    await expect(handle.groupAdd('late', channel)).rejects.toThrow(
      new InvalidChannelLayerError(
        `Cannot add channel ${JSON.stringify(channel)} to group "late": its consumer has ended.`,
      ),
    )
    expect(layer.groups.size).toBe(0)
  })

  it('refuses a group join through a handle first read after it ended', async () => {
    const layer = memoryLayer()
    const consumer = await probedInstance()
    // The instance never read channelLayer while it ran: the handle is made now.
    const handle = consumer.channelLayer as ChannelLayer
    expect(consumer.channelLayer).toBe(handle)
    await expect(handle.groupAdd('late', consumer.channelName)).rejects.toThrow(
      InvalidChannelLayerError,
    )
    expect(layer.groups.size).toBe(0)
  })

  it('refuses a layer message naming a framework method, and cleans up', async () => {
    const layer = memoryLayer()
    const channel = deferred<string>()
    const calls: string[] = []
    class Guarded extends AsyncConsumer {
      test_ready(): void {
        channel.resolve(this.channelName)
      }
      close(): void {
        calls.push('close')
      }
    }
    const running = startApp(Guarded.asAsgi(), wsScope)
    running.input.put({ type: 'test.ready' })
    await layer.send(await channel.promise, { type: 'close' })
    const error = await running.done.then(
      () => null,
      (caught: unknown) => caught,
    )
    expect(error).toBeInstanceOf(NoHandlerError)
    expect((error as Error).message).toMatch(/^No handler for message type "close": /)
    expect(calls).toEqual([])
    expect(layer.channels.size).toBe(0)
  })

  it('ends with NoHandlerError for a type it has no handler for', async () => {
    memoryLayer()
    const running = startApp(Joiner.asAsgi(), wsScope)
    running.input.put({ type: 'chat.unknown' })
    await expect(running.done).rejects.toThrow(
      new NoHandlerError('chat.unknown', 'No handler for message type chat.unknown'),
    )
  })
})

describe('AsyncConsumer.baseSend', () => {
  it('keeps the order of un-awaited sends from a sync handler, whatever each send takes', async () => {
    const delivered: Message[] = []
    const delays = [30, 0, 10]
    const send = async (message: Message): Promise<void> => {
      await new Promise((resolve) => setTimeout(resolve, delays.shift() ?? 0))
      delivered.push(message)
    }
    class Burst extends AsyncConsumer {
      test_burst(): void {
        this.baseSend({ type: 'out.one' })
        this.baseSend({ type: 'out.two' })
        this.baseSend({ type: 'out.three' })
        throw new StopConsumer()
      }
    }
    const running = startApp(Burst.asAsgi(), wsScope, send)
    running.input.put({ type: 'test.burst' })
    await running.done
    expect(delivered.map((message) => message.type)).toEqual(['out.one', 'out.two', 'out.three'])
  })

  it("returns the server's sendDone as it is, and keeps order when a slow send comes first", async () => {
    const delivered: string[] = []
    const slow = deferred<void>()
    const send = (message: Message): Promise<void> => {
      if (message.type === 'out.slow')
        return slow.promise.then(() => void delivered.push('out.slow'))
      delivered.push(message.type)
      return sendDone
    }
    const results: Array<Promise<void>> = []
    class Mixed extends AsyncConsumer {
      test_quick(): void {
        results.push(this.baseSend({ type: 'out.quick' }))
      }
      test_mixed(): void {
        this.baseSend({ type: 'out.slow' })
        this.baseSend({ type: 'out.after' })
        throw new StopConsumer()
      }
    }
    const running = startApp(Mixed.asAsgi(), wsScope, send)
    running.input.put({ type: 'test.quick' })
    running.input.put({ type: 'test.mixed' })
    await nextTurn()
    expect(results[0]).toBe(sendDone)
    expect(delivered).toEqual(['out.quick'])
    slow.resolve()
    await running.done
    expect(delivered).toEqual(['out.quick', 'out.slow', 'out.after'])
  })

  it('surfaces a failed send as the error of a sync handler that did not await it', async () => {
    const failure = new Error('socket gone')
    const delivered: string[] = []
    const send = async (message: Message): Promise<void> => {
      if (message.type === 'out.bad') throw failure
      delivered.push(message.type)
    }
    const after: string[] = []
    class Careless extends AsyncConsumer {
      test_send(): void {
        this.baseSend({ type: 'out.good' })
        this.baseSend({ type: 'out.bad' })
        this.baseSend({ type: 'out.never' })
      }
      test_next(): void {
        after.push('ran')
      }
    }
    const running = startApp(Careless.asAsgi(), wsScope, send)
    running.input.put({ type: 'test.send' })
    running.input.put({ type: 'test.next' })
    await expect(running.done).rejects.toBe(failure)
    expect(delivered).toEqual(['out.good'])
    expect(after).toEqual([])
  })

  it('ends with the error of a send that throws synchronously, and sends nothing after it', async () => {
    const failure = new Error('socket gone')
    const delivered: string[] = []
    const send = ((message: Message): Promise<void> => {
      if (message.type === 'out.bad') throw failure
      delivered.push(message.type)
      return Promise.resolve()
    }) as Send
    class Careless extends AsyncConsumer {
      test_send(): void {
        this.baseSend({ type: 'out.good' }).catch(() => undefined)
      }
      async test_bad(): Promise<void> {
        await expect(this.baseSend({ type: 'out.bad' })).rejects.toBe(failure)
        await expect(this.baseSend({ type: 'out.never' })).rejects.toBe(failure)
      }
    }
    const running = startApp(Careless.asAsgi(), wsScope, send)
    running.input.put({ type: 'test.send' })
    running.input.put({ type: 'test.bad' })
    await expect(running.done).rejects.toBe(failure)
    expect(delivered).toEqual(['out.good'])
  })

  it('takes a send that returns no promise as done', async () => {
    const delivered: string[] = []
    const send = ((message: Message) => {
      delivered.push(message.type)
    }) as unknown as Send
    class Quiet extends AsyncConsumer {
      async test_send(): Promise<void> {
        await this.baseSend({ type: 'out.one' })
        await this.baseSend({ type: 'out.two' })
        throw new StopConsumer()
      }
    }
    const running = startApp(Quiet.asAsgi(), wsScope, send)
    running.input.put({ type: 'test.send' })
    await running.done
    expect(delivered).toEqual(['out.one', 'out.two'])
  })

  it('rejects a send made when the consumer is not serving a connection', async () => {
    await expect(new AsyncConsumer().baseSend({ type: 'x.y' })).rejects.toThrow(
      new TypeError('A consumer can send only while it is serving a connection.'),
    )
  })
})

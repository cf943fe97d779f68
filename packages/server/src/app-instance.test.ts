import {
  type Application,
  kServerPort,
  type Message,
  type ServerPort,
  sendDone,
} from '@node-channels/core'
import { describe, expect, it } from 'vitest'
import { AppInstance, CancelledError, InstanceRegistry, MessageQueue } from './app-instance.js'
import type { ServerLogger } from './options.js'

function logger(): ServerLogger & { lines: string[] } {
  const lines: string[] = []
  return {
    lines,
    debug: (m) => lines.push(`debug ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  }
}

const scope = { type: 'channel', channel: 'test' } as const

describe('AppInstance', () => {
  it('reports how the application ended', async () => {
    const sent: Message[] = []
    const queue = new MessageQueue()
    const make = (application: Application) =>
      new AppInstance({
        application,
        scope,
        receive: () => queue.get(),
        send: async (m) => {
          sent.push(m)
        },
        label: 'test',
        logger: logger(),
      })
    queue.put({ type: 'a.b' })
    const echo = make(async (_s, receive, send) => send(await receive()))
    expect(await echo.exited).toEqual({ kind: 'returned' })
    expect(sent).toEqual([{ type: 'a.b' }])
    const error = new Error('x')
    expect(await make(async () => Promise.reject(error)).exited).toEqual({ kind: 'raised', error })
    const stop = new Error('stop')
    stop.name = 'StopConsumer'
    expect(await make(async () => Promise.reject(stop)).exited).toEqual({ kind: 'returned' })
    expect(
      await make(() => {
        throw error
      }).exited,
    ).toEqual({ kind: 'raised', error })
  })

  it("answers a send carried out at once with core's sendDone, so a consumer need not wait", async () => {
    const results: unknown[] = []
    const later = Promise.resolve()
    const instance = new AppInstance({
      application: async (_s, _r, send) => {
        results.push(send({ type: 'now' }), send({ type: 'later' }))
      },
      scope,
      receive: () => new Promise(() => {}),
      send: (message) => (message.type === 'later' ? later : undefined),
      label: 'test',
      logger: logger(),
    })
    await instance.exited
    expect(results[0]).toBe(sendDone)
    expect(results[1]).toBe(later)
  })

  it("serves its port's receiveInto() from the io without promises, and fails a waiting reader when abandoned", async () => {
    const got: unknown[] = []
    const receiver = {
      deliver: (message: Message) => got.push(message.type),
      fail: (error: unknown) => got.push(error),
    }
    const make = (withReceiveInto: boolean) => {
      const queue = new MessageQueue()
      let port: ServerPort | undefined
      const instance = new AppInstance({
        application: (_s, receive) => {
          port = (receive as unknown as Record<symbol, ServerPort>)[kServerPort]
          return new Promise(() => {})
        },
        scope,
        receive: () => queue.take() ?? queue.wait(),
        ...(withReceiveInto ? { receiveInto: (r) => queue.takeInto(r) } : {}),
        cancelReceives: (error) => queue.cancelWaiting(error),
        send: () => undefined,
        label: 'test',
        logger: logger(),
      })
      return { queue, instance, read: () => port?.receiveInto(receiver) }
    }
    const direct = make(true)
    await Promise.resolve()
    direct.queue.put({ type: 'a' })
    direct.read()
    direct.read()
    direct.queue.put({ type: 'b' })
    direct.read()
    expect(got).toEqual(['a', 'b'])
    direct.instance.abandon()
    expect(got[2]).toBeInstanceOf(CancelledError)
    direct.read()
    await new Promise((resolve) => setImmediate(resolve))
    expect(got[3]).toBeInstanceOf(CancelledError)

    got.length = 0
    const viaReceive = make(false)
    await Promise.resolve()
    viaReceive.queue.put({ type: 'c' })
    viaReceive.read()
    viaReceive.read()
    viaReceive.queue.put({ type: 'd' })
    await new Promise((resolve) => setImmediate(resolve))
    expect(got).toEqual(['c', 'd'])
  })

  it('puts itself on receive and send as their port, whose send() is the same send', async () => {
    const sent: Message[] = []
    let receive: unknown
    let send: ((message: Message) => Promise<void>) | undefined
    const instance = new AppInstance({
      application: (_s, r, s) => {
        receive = r
        send = s
        return new Promise(() => {})
      },
      scope,
      receive: () => new Promise(() => {}),
      send: (m) => {
        sent.push(m)
        return undefined
      },
      label: 'test',
      logger: logger(),
    })
    await Promise.resolve()
    const portOf = (fn: unknown) => (fn as Record<symbol, ServerPort>)[kServerPort]
    expect(portOf(receive)).toBe(instance)
    expect(portOf(send)).toBe(instance)
    // A wrapper that copies the function's own properties does not take the port along.
    expect(portOf(Object.assign(() => undefined, send))).toBeUndefined()
    expect(send?.({ type: 'one' })).toBe(sendDone)
    expect(instance.send({ type: 'two' })).toBe(sendDone)
    expect(sent.map((m) => m.type)).toEqual(['one', 'two'])
    await expect(instance.send({} as Message)).rejects.toThrow(/Message has no type defined/)
  })

  it('rejects a message without a type in send()', async () => {
    let rejection: unknown
    const instance = new AppInstance({
      application: async (_s, _r, send) => {
        rejection = await send('nope' as unknown as Message).catch((e: unknown) => e)
      },
      scope,
      receive: () => new Promise(() => {}),
      send: async () => {},
      label: 'test',
      logger: logger(),
    })
    await instance.exited
    expect(rejection).toEqual(new TypeError('Message has no type defined: "nope".'))
  })

  it('abandons an application that outlives closeWithin(): receive rejects, sends are dropped', async () => {
    const log = logger()
    const sent: Message[] = []
    let caught: unknown
    const instance = new AppInstance({
      application: async (_s, receive, send) => {
        caught = await receive().catch((e: unknown) => e)
        await send({ type: 'late.message' })
      },
      scope,
      receive: () => new Promise(() => {}),
      send: async (m) => {
        sent.push(m)
      },
      label: 'slow app',
      logger: log,
    })
    instance.closeWithin(10)
    expect(await instance.exited).toEqual({ kind: 'abandoned' })
    await new Promise((resolve) => setImmediate(resolve))
    expect(caught).toBeInstanceOf(CancelledError)
    expect((caught as Error).message).toBe('Application instance for slow app was cancelled.')
    expect(sent).toEqual([])
    expect(instance.running).toBe(false)
    expect(log.lines).toEqual([
      'warn Application instance for slow app took too long to shut down and was abandoned after 10 ms.',
    ])
  })
})

describe('AppInstance with a queue of its own', () => {
  it('gives a queued event without waiting, and lets the queue reject waiting receives when abandoned', async () => {
    const queue = new MessageQueue()
    queue.put({ type: 'first' })
    const seen: unknown[] = []
    const instance = new AppInstance({
      application: async (_s, receive) => {
        seen.push(await receive())
        seen.push(await receive().catch((error: unknown) => error))
      },
      scope,
      receive: () => queue.take() ?? queue.wait(),
      cancelReceives: (error) => queue.cancelWaiting(error),
      send: () => undefined,
      label: 'queued',
      logger: logger(),
    })
    await new Promise((resolve) => setImmediate(resolve))
    expect(seen).toEqual([{ type: 'first' }])
    instance.abandon()
    await new Promise((resolve) => setImmediate(resolve))
    expect(seen[1]).toEqual(new CancelledError('Application instance for queued was cancelled.'))
    expect(await instance.exited).toEqual({ kind: 'abandoned' })
  })

  it("turns what send throws into the rejection of the application's send()", async () => {
    let rejection: unknown
    const instance = new AppInstance({
      application: async (_s, _r, send) => {
        rejection = await send({ type: 'x.y' }).catch((error: unknown) => error)
      },
      scope,
      receive: () => new Promise(() => {}),
      send: () => {
        throw new Error('Cannot handle message type x.y!')
      },
      label: 'test',
      logger: logger(),
    })
    expect(await instance.exited).toEqual({ kind: 'returned' })
    expect(rejection).toEqual(new Error('Cannot handle message type x.y!'))
  })

  it('calls whenExited listeners once, with the exit and the instance, even when added late', async () => {
    const calls: unknown[] = []
    const instance = new AppInstance({
      application: async () => {},
      scope,
      receive: () => new Promise(() => {}),
      send: () => undefined,
      label: 'test',
      logger: logger(),
    })
    instance.whenExited((exit, which) => calls.push(['early', exit, which === instance]))
    await instance.exited
    instance.whenExited((exit, which) => calls.push(['late', exit, which === instance]))
    expect(calls).toEqual([['early', { kind: 'returned' }, true]])
    await new Promise((resolve) => setImmediate(resolve))
    expect(calls).toEqual([
      ['early', { kind: 'returned' }, true],
      ['late', { kind: 'returned' }, true],
    ])
  })
})

describe('MessageQueue', () => {
  it('hands events out in order, to waiters first come first served, and rejects waiters on cancel', async () => {
    const queue = new MessageQueue()
    expect(queue.take()).toBeUndefined()
    const first = queue.wait()
    const second = queue.get()
    queue.put({ type: 'a' })
    queue.put({ type: 'b' })
    queue.put({ type: 'c' })
    expect(await first).toEqual({ type: 'a' })
    expect(await second).toEqual({ type: 'b' })
    expect(queue.size).toBe(1)
    expect(queue.take()).toEqual({ type: 'c' })
    const waiting = queue.get()
    queue.cancelWaiting(new Error('gone'))
    await expect(waiting).rejects.toThrow(new Error('gone'))
    queue.put({ type: 'd' })
    expect(await queue.get()).toEqual({ type: 'd' })
  })
})

describe('InstanceRegistry', () => {
  it('waits for instances until the deadline, then abandons the rest', async () => {
    const log = logger()
    const registry = new InstanceRegistry()
    const quick = new AppInstance({
      application: async () => {},
      scope,
      receive: () => new Promise(() => {}),
      send: async () => {},
      label: 'quick',
      logger: log,
    })
    const stuck = new AppInstance({
      application: () => new Promise(() => {}),
      scope,
      receive: () => new Promise(() => {}),
      send: async () => {},
      label: 'stuck',
      logger: log,
    })
    registry.add(quick)
    registry.add(stuck)
    await registry.drain(performance.now() + 20, log)
    expect(await stuck.exited).toEqual({ kind: 'abandoned' })
    expect(log.lines).toEqual([
      'warn Application instance for stuck did not finish before shutdown and was abandoned.',
    ])
    await new Promise((resolve) => setImmediate(resolve))
    expect(registry.size).toBe(0)
  })
})

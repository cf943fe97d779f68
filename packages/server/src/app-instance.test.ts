import type { Application, Message } from '@node-channels/core'
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

import {
  type Application,
  getChannelLayer,
  InMemoryChannelLayer,
  type Message,
  setChannelLayer,
} from '@node-channels/core'
import { describe, expect, it, onTestFinished } from 'vitest'
import { serve } from '../src/index.js'
import { closeOf, deferred, openClient, startServer, TestLogger } from './helpers.js'

/** An application with lifespan support that records the order of what happens. */
function lifespanApp(
  order: string[],
  answers: { startup?: Message; shutdown?: Message },
): Application {
  return async (scope, receive, send) => {
    if (scope.type === 'lifespan') {
      order.push(`lifespan scope ${JSON.stringify(scope)}`)
      for (;;) {
        const event = await receive()
        order.push(event.type)
        if (event.type === 'lifespan.startup') {
          await send(answers.startup ?? { type: 'lifespan.startup.complete' })
        } else {
          if (answers.shutdown) await send(answers.shutdown)
          return
        }
      }
    }
    await receive()
    await send({ type: 'websocket.accept' })
    const event = await receive()
    order.push(`${event.type} ${String(event.code)}`)
  }
}

describe('lifespan', () => {
  it('runs startup before listening and shutdown after the sockets closed, then closes the layers', async () => {
    const order: string[] = []
    class RecordingLayer extends InMemoryChannelLayer {
      override async close(): Promise<void> {
        order.push('channel layer closed')
        await super.close()
      }
    }
    setChannelLayer(new RecordingLayer())
    const app = lifespanApp(order, { shutdown: { type: 'lifespan.shutdown.complete' } })
    const { handle, port, logger } = await startServer(app)
    expect(order).toEqual([
      'lifespan scope {"type":"lifespan","asgi":{"version":"3.0","spec_version":"2.4"}}',
      'lifespan.startup',
    ])
    const ws = await openClient(`ws://127.0.0.1:${port}/`)
    const closed = closeOf(ws)
    await handle.close()
    expect((await closed).code).toBe(1001)
    expect(order.slice(2)).toEqual([
      'websocket.disconnect 1001',
      'lifespan.shutdown',
      'channel layer closed',
    ])
    expect(getChannelLayer()).not.toBeInstanceOf(RecordingLayer)
    expect(logger.lines.filter((line) => line.level !== 'debug')).toEqual([])
  })

  it('rejects serve() with the message of lifespan.startup.failed, without listening', async () => {
    const order: string[] = []
    const app = lifespanApp(order, {
      startup: { type: 'lifespan.startup.failed', message: 'database is down' },
    })
    await expect(serve(app, { port: 0, logger: new TestLogger() })).rejects.toThrow(
      'Application startup failed: database is down',
    )
    expect(order).toHaveLength(2)
  })

  it('treats an application that throws on the lifespan scope as not supporting it (debug log)', async () => {
    const app: Application = async (scope) => {
      if (scope.type === 'lifespan')
        throw new Error("No application configured for scope type 'lifespan'")
    }
    const { logger, handle } = await startServer(app)
    expect(logger.lines).toEqual([
      {
        level: 'debug',
        message:
          "ASGI 'lifespan' protocol appears unsupported: Error: No application configured for scope type 'lifespan'",
      },
    ])
    await handle.close()
    expect(logger.lines.filter((line) => line.level !== 'debug')).toEqual([])
  })

  it('logs lifespan.shutdown.failed as an error', async () => {
    const app = lifespanApp([], {
      shutdown: { type: 'lifespan.shutdown.failed', message: 'flush failed' },
    })
    const { handle, logger } = await startServer(app)
    await handle.close()
    expect(await logger.waitFor(/shutdown failed/)).toEqual({
      level: 'error',
      message: 'Application shutdown failed: flush failed',
      error: undefined,
    })
  })

  it('gives a shutdown that never answers applicationCloseTimeoutMs, then moves on', async () => {
    const app: Application = async (scope, receive, send) => {
      if (scope.type !== 'lifespan') return
      await receive()
      await send({ type: 'lifespan.startup.complete' })
      await receive()
      await new Promise(() => {}) // never answers the shutdown
    }
    const logger = new TestLogger()
    const handle = await serve(app, { port: 0, logger, applicationCloseTimeoutMs: 50 })
    onTestFinished(() => handle.close())
    const startedAt = performance.now()
    await handle.close()
    expect(performance.now() - startedAt).toBeLessThan(1000)
    expect(await logger.waitFor(/lifespan shutdown/)).toMatchObject({
      level: 'warn',
      message: 'Application did not finish lifespan shutdown within 50 ms.',
    })
  })

  it('abandons a connection application that outlives the shutdown grace period', async () => {
    const cancelled = deferred<unknown>()
    const app: Application = async (scope, receive, send) => {
      if (scope.type === 'lifespan') throw new Error('unsupported')
      await receive()
      await send({ type: 'websocket.accept' })
      await receive() // the 1001 disconnect
      await receive().catch(cancelled.resolve)
    }
    const { handle, port, logger } = await startServer(app, { applicationCloseTimeoutMs: 50 })
    const ws = await openClient(`ws://127.0.0.1:${port}/`)
    const closed = closeOf(ws)
    await handle.close()
    expect((await closed).code).toBe(1001)
    expect(((await cancelled.promise) as Error).name).toBe('CancelledError')
    expect(
      logger.lines.some((line) => line.level === 'warn' && /was abandoned/.test(line.message)),
    ).toBe(true)
  })
})

import {
  type Application,
  AsyncConsumer,
  InMemoryChannelLayer,
  InvalidChannelLayerError,
  type Message,
  resetChannelLayers,
  type Scope,
} from '@node-channels/core'
import { afterEach, describe, expect, it, onTestFinished } from 'vitest'
import type { ServerLogger } from './options.js'
import { runWorker } from './worker.js'

interface Line {
  level: 'debug' | 'warn' | 'error'
  message: string
}

/** A logger that keeps its lines and wakes waiters on each one. */
function testLogger(): ServerLogger & {
  lines: Line[]
  waitFor(pattern: RegExp, count?: number): Promise<Line>
} {
  const lines: Line[] = []
  const waiters = new Set<() => void>()
  const add = (level: Line['level'], message: string): void => {
    lines.push({ level, message })
    for (const wake of [...waiters]) wake()
  }
  return {
    lines,
    debug: (message) => add('debug', message),
    warn: (message) => add('warn', message),
    error: (message) => add('error', message),
    waitFor: (pattern, count = 1) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no log line matching ${pattern}`)), 2000)
        const check = (): void => {
          const matching = lines.filter((candidate) => pattern.test(candidate.message))
          const line = matching[count - 1]
          if (!line) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve(line)
        }
        waiters.add(check)
        check()
      }),
  }
}

/** Records what each channel's instances received; resolves `next()` per message. */
class Recorder {
  readonly seen: Array<{ instance: number; scope: Scope; message: Message }> = []
  readonly #waiters: Array<() => void> = []
  instances = 0

  record(instance: number, scope: Scope, message: Message): void {
    this.seen.push({ instance, scope, message })
    for (const wake of this.#waiters.splice(0)) wake()
  }

  async count(n: number): Promise<void> {
    const deadline = Date.now() + 2000
    while (this.seen.length < n) {
      if (Date.now() > deadline) throw new Error(`only ${this.seen.length} of ${n} messages seen`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100)
        this.#waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }
}

function recordingApp(recorder: Recorder): Application {
  return async (scope, receive) => {
    const instance = ++recorder.instances
    for (;;) recorder.record(instance, scope, await receive())
  }
}

function startWorker(
  application: Application,
  channels: string[],
  layer: InMemoryChannelLayer,
  logger = testLogger(),
  applicationCloseTimeoutMs = 1000,
) {
  const stop = new AbortController()
  const done = runWorker(application, channels, {
    layer,
    signal: stop.signal,
    logger,
    applicationCloseTimeoutMs,
  })
  onTestFinished(async () => {
    stop.abort()
    await done.catch(() => {})
  })
  return { stop, done, logger }
}

afterEach(async () => {
  await resetChannelLayers()
})

describe('runWorker', () => {
  it('serves each channel with one long-lived instance and a channel scope', async () => {
    const layer = new InMemoryChannelLayer()
    const recorder = new Recorder()
    startWorker(recordingApp(recorder), ['jobs', 'emails'], layer)
    await layer.send('jobs', { type: 'job.run', n: 1 })
    await layer.send('emails', { type: 'email.send', to: 'a' })
    await layer.send('jobs', { type: 'job.run', n: 2 })
    await recorder.count(3)
    const byChannel = (channel: string) =>
      recorder.seen.filter((entry) => entry.scope.channel === channel)
    expect(byChannel('jobs').map((entry) => entry.message)).toEqual([
      { type: 'job.run', n: 1 },
      { type: 'job.run', n: 2 },
    ])
    expect(new Set(byChannel('jobs').map((entry) => entry.instance)).size).toBe(1)
    expect(byChannel('emails')[0]?.scope).toEqual({ type: 'channel', channel: 'emails' })
    expect(recorder.instances).toBe(2)
  })

  it('runs consumers: a handler per message type, in order', async () => {
    const layer = new InMemoryChannelLayer()
    const done: number[] = []
    class Thumbnails extends AsyncConsumer {
      async thumbnails_generate(message: Message): Promise<void> {
        done.push(message.id as number)
        if (done.length === 3) await layer.send('results', { type: 'done', ids: done })
      }
    }
    startWorker(Thumbnails.asAsgi(), ['thumbnails-generate'], layer)
    for (const id of [1, 2, 3])
      await layer.send('thumbnails-generate', { type: 'thumbnails.generate', id })
    expect(await layer.receive('results', { signal: AbortSignal.timeout(2000) })).toEqual({
      type: 'done',
      ids: [1, 2, 3],
    })
  })

  it('logs and drops a message without a type, and keeps going', async () => {
    const layer = new InMemoryChannelLayer()
    const recorder = new Recorder()
    // The in-memory layer refuses such messages, so a layer that returns one stands in for a foreign producer.
    const foreign = [{ no: 'type' }, { type: 'ok.message' }]
    const leaky = Object.assign(Object.create(layer) as InMemoryChannelLayer, {
      receive: async (channel: string, options?: { signal?: AbortSignal }) =>
        foreign.shift() ?? layer.receive(channel, options),
    })
    const { logger } = startWorker(recordingApp(recorder), ['jobs'], leaky as InMemoryChannelLayer)
    await recorder.count(1)
    expect(recorder.seen.map((entry) => entry.message)).toEqual([{ type: 'ok.message' }])
    expect(logger.lines).toContainEqual({
      level: 'error',
      message: 'Worker received message with no type on channel "jobs"; dropped: {"no":"type"}',
    })
  })

  it('logs an instance that throws and starts a new one for the next message', async () => {
    const layer = new InMemoryChannelLayer()
    const recorder = new Recorder()
    const app: Application = async (scope, receive) => {
      const instance = ++recorder.instances
      const message = await receive()
      recorder.record(instance, scope, message)
      if (message.type === 'boom.now') throw new RangeError('boom')
    }
    const { logger } = startWorker(app, ['jobs'], layer)
    await layer.send('jobs', { type: 'boom.now' })
    await logger.waitFor(/^Exception inside application for channel "jobs":/)
    await layer.send('jobs', { type: 'after.boom' })
    await recorder.count(2)
    expect(recorder.seen.map((entry) => [entry.instance, entry.message.type])).toEqual([
      [1, 'boom.now'],
      [2, 'after.boom'],
    ])
  })

  it('drops, with an error, messages an application never received', async () => {
    const layer = new InMemoryChannelLayer()
    const app: Application = async () => {
      throw new TypeError('No application configured for channel name "jobs"')
    }
    const { logger } = startWorker(app, ['jobs'], layer)
    await layer.send('jobs', { type: 'job.run' })
    await logger.waitFor(/ended without receiving anything; 1 message was dropped\.$/)
    // The worker still listens: the next message reaches the application again.
    await layer.send('jobs', { type: 'job.run' })
    await logger.waitFor(/1 message was dropped/, 2)
    expect(logger.lines.filter((line) => /dropped/.test(line.message))).toHaveLength(2)
  })

  it('refuses a send from the application (a channel scope has no client)', async () => {
    const layer = new InMemoryChannelLayer()
    const app: Application = async (_scope, receive, send) => {
      await receive()
      await send({ type: 'websocket.send', text: 'x' })
    }
    const { logger } = startWorker(app, ['jobs'], layer)
    await layer.send('jobs', { type: 'job.run' })
    const line = await logger.waitFor(/^Exception inside application for channel "jobs"/)
    expect(line.level).toBe('error')
  })

  it('takes the next message only once the instance took the previous one', async () => {
    const layer = new InMemoryChannelLayer()
    let release: () => void = () => {}
    const blocked = new Promise<void>((resolve) => {
      release = resolve
    })
    let tookFirst: () => void = () => {}
    const first = new Promise<void>((resolve) => {
      tookFirst = resolve
    })
    const taken: Message[] = []
    const app: Application = async (_scope, receive) => {
      taken.push(await receive())
      tookFirst()
      await blocked
      for (;;) taken.push(await receive())
    }
    startWorker(app, ['jobs'], layer)
    await layer.send('jobs', { type: 'job.run', n: 1 })
    await first
    await new Promise((resolve) => setImmediate(resolve))
    for (let n = 2; n <= 5; n++) await layer.send('jobs', { type: 'job.run', n })
    // The first is in hand, the second waits in the worker; the rest stay in the layer for others.
    const other = await layer.receive('jobs', { signal: AbortSignal.timeout(1000) })
    expect(other).toEqual({ type: 'job.run', n: 3 })
    release()
    const deadline = Date.now() + 2000
    while (taken.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    expect(taken.map((message) => message.n)).toEqual([1, 2, 4, 5])
  })

  it('shuts down gracefully: finishes the message in hand, then cancels idle instances', async () => {
    const layer = new InMemoryChannelLayer()
    const events: string[] = []
    let started: () => void = () => {}
    const handling = new Promise<void>((resolve) => {
      started = resolve
    })
    class Slow extends AsyncConsumer {
      async job_run(): Promise<void> {
        events.push('start')
        started()
        await new Promise((resolve) => setTimeout(resolve, 50))
        events.push('end')
      }
    }
    const logger = testLogger()
    const { stop, done } = startWorker(Slow.asAsgi(), ['jobs'], layer, logger)
    await layer.send('jobs', { type: 'job.run' })
    await handling
    stop.abort()
    await done
    expect(events).toEqual(['start', 'end'])
    // Nothing is received after the stop: a later message stays in the layer.
    await layer.send('jobs', { type: 'job.run' })
    expect(await layer.receive('jobs', { signal: AbortSignal.timeout(500) })).toEqual({
      type: 'job.run',
    })
    expect(logger.lines.filter((line) => line.level !== 'debug')).toEqual([])
  })

  it('abandons an instance that does not finish within applicationCloseTimeoutMs', async () => {
    const layer = new InMemoryChannelLayer()
    let tookIt: () => void = () => {}
    const took = new Promise<void>((resolve) => {
      tookIt = resolve
    })
    const app: Application = async (_scope, receive) => {
      await receive()
      tookIt()
      await new Promise(() => {}) // never finishes
    }
    const logger = testLogger()
    const { stop, done } = startWorker(app, ['jobs'], layer, logger, 50)
    await layer.send('jobs', { type: 'job.run' })
    await took
    const startedAt = Date.now()
    stop.abort()
    await done
    expect(Date.now() - startedAt).toBeLessThan(1000)
    expect(logger.lines).toContainEqual({
      level: 'warn',
      message:
        'Application instance for channel "jobs" did not finish before shutdown and was abandoned.',
    })
  })

  it('stops and rejects when the layer refuses to receive', async () => {
    const layer = new InMemoryChannelLayer()
    const logger = testLogger()
    const stop = new AbortController()
    const done = runWorker(recordingApp(new Recorder()), ['jobs'], {
      layer,
      signal: stop.signal,
      logger,
    })
    await layer.close()
    await expect(done).rejects.toThrow(InvalidChannelLayerError)
    expect(logger.lines[0]?.message).toBe('The worker cannot receive from channel "jobs":')
  })

  it('refuses bad arguments', async () => {
    const layer = new InMemoryChannelLayer()
    const app = recordingApp(new Recorder())
    await expect(runWorker(app, ['jobs'], { layer: null })).rejects.toThrow(
      new InvalidChannelLayerError('Channel layer is not valid'),
    )
    await expect(runWorker(app, [], { layer })).rejects.toThrow(
      new TypeError('runWorker() needs a non-empty array of channel names, not [].'),
    )
    await expect(runWorker(app, ['a!b'], { layer })).rejects.toThrow(
      new TypeError(
        'A worker cannot listen on the process-local channel "a!b": name a channel other processes send to.',
      ),
    )
    await expect(runWorker(app, ['a', 'a'], { layer })).rejects.toThrow(
      new TypeError('The channel "a" is listed twice.'),
    )
    await expect(runWorker(app, ['bad name'], { layer })).rejects.toThrow(TypeError)
    await expect(runWorker('app' as unknown as Application, ['a'], { layer })).rejects.toThrow(
      new TypeError('runWorker() needs an application function, not "app".'),
    )
  })
})

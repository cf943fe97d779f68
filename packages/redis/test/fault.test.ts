import { spawnSync } from 'node:child_process'
import type { ChannelLayer, Message } from '@node-channels/core'
import { neededHere } from '@node-channels/test-support'
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest'
import { RedisConnectionError } from '../src/errors.js'
import type { RedisLayerLogger } from '../src/logger.js'
import type { RedisChannelLayerOptions } from '../src/options.js'
import { RedisPubSubChannelLayer } from '../src/pubsub-layer.js'
import { RedisChannelLayer } from '../src/redis-channel-layer.js'
import { freePort, PrivateRedis } from './private-redis.js'

// Skipped when redis-server is not installed locally; under CI it must be there.
const runnable = neededHere(
  spawnSync('redis-server', ['--version']).status === 0,
  'redis-server is not on the PATH',
)

/** Records log lines and lets a test await the next ones that match. */
function watchingLogger(): RedisLayerLogger & {
  lines: string[]
  waitFor(text: string, count: number, timeoutMs?: number): Promise<void>
} {
  const lines: string[] = []
  const waiters = new Set<() => void>()
  const record = (level: string) => (message: string) => {
    lines.push(`${level}: ${message}`)
    for (const waiter of waiters) waiter()
  }
  return {
    lines,
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    waitFor(text, count, timeoutMs = 10_000) {
      const seen = () => lines.filter((line) => line.includes(text)).length >= count
      if (seen()) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(
            new Error(`Waited ${timeoutMs} ms for ${count} × "${text}"; got:\n${lines.join('\n')}`),
          )
        }, timeoutMs)
        const check = () => {
          if (!seen()) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve()
        }
        waiters.add(check)
      })
    },
  }
}

/** A receive whose outcome can be checked without awaiting it. */
function track(promise: Promise<Message>): { promise: Promise<Message>; settled: () => boolean } {
  let settled = false
  promise.then(
    () => {
      settled = true
    },
    () => {
      settled = true
    },
  )
  return { promise, settled: () => settled }
}

/** Asserts that a call fails with RedisConnectionError for `url`, and within `boundMs`. */
async function expectUnavailable(
  call: Promise<unknown>,
  url: string,
  boundMs = 1500,
): Promise<void> {
  const started = performance.now()
  const error = await call.then(
    () => new Error('The call succeeded while Redis was down.'),
    (reason: unknown) => reason,
  )
  expect(performance.now() - started).toBeLessThan(boundMs)
  expect(error).toBeInstanceOf(RedisConnectionError)
  expect((error as RedisConnectionError).message).toMatch(
    new RegExp(
      `^Redis at ${url.replaceAll('.', '\\.')}/0 is unavailable \\(.+\\); the layer keeps reconnecting in the background\\.$`,
    ),
  )
}

/** After an outage: a group message reaches the receive that waited through it, then a direct one. */
async function expectDeliveredAfterOutage(
  layer: ChannelLayer,
  channel: string,
  pending: Promise<Message>,
): Promise<void> {
  await layer.groupSend('room', { type: 'after.outage', via: 'group' })
  await layer.send(channel, { type: 'after.outage', via: 'send' })
  expect(await pending).toEqual({ type: 'after.outage', via: 'group' })
  expect(await layer.receive(channel, { signal: AbortSignal.timeout(5000) })).toEqual({
    type: 'after.outage',
    via: 'send',
  })
}

describe.skipIf(!runnable)('Redis layers while a private redis-server dies and comes back', () => {
  let server: PrivateRedis
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown) => unhandled.push(reason)

  beforeEach(async () => {
    server = await PrivateRedis.start()
    process.on('unhandledRejection', onUnhandled)
  })

  afterEach(async () => {
    process.off('unhandledRejection', onUnhandled)
    await server.dispose()
    expect(unhandled).toEqual([])
  })

  /** A `Layer` on the private server with a watching logger, closed after the test. */
  function onPrivateServer<L extends ChannelLayer>(
    Layer: new (options: RedisChannelLayerOptions) => L,
  ): { layer: L; logger: ReturnType<typeof watchingLogger> } {
    const logger = watchingLogger()
    const layer = new Layer({ hosts: server.url, logger, connectTimeoutMs: 1000 })
    onTestFinished(() => layer.close())
    return { layer, logger }
  }

  it('RedisChannelLayer: sends fail fast during the outage, a pending receive survives it', async () => {
    const { layer, logger } = onPrivateServer(RedisChannelLayer)
    const channel = await layer.newChannel()
    await layer.groupAdd('room', channel)
    await layer.send(channel, { type: 'before.outage' })
    expect(await layer.receive(channel)).toEqual({ type: 'before.outage' })

    const pending = track(layer.receive(channel))
    await server.stop()
    await expectUnavailable(layer.send(channel, { type: 'during.outage' }), server.url)
    await expectUnavailable(layer.groupSend('room', { type: 'during.outage' }), server.url)
    await expectUnavailable(layer.groupAdd('room', channel), server.url)
    await expectUnavailable(layer.send('named', { type: 'during.outage' }), server.url)
    expect(pending.settled()).toBe(false)

    await server.restart()
    // The command connection and the receive loop's blocking connection both come back.
    await logger.waitFor('Reconnected to Redis at', 2)
    // Redis restarted empty (no persistence): the group has to be joined again.
    await layer.groupAdd('room', channel)
    await expectDeliveredAfterOutage(layer, channel, pending.promise)
    expect(logger.lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^warn: Redis at ${server.url.replaceAll('.', '\\.')}/0 is unavailable \\(.+\\); reconnecting in the background\\.$`,
        ),
      ),
    )
  })

  it('RedisPubSubChannelLayer: publishes fail fast, subscriptions are renewed on reconnection', async () => {
    const { layer, logger } = onPrivateServer(RedisPubSubChannelLayer)
    const channel = await layer.newChannel()
    await layer.groupAdd('room', channel)
    await layer.groupSend('room', { type: 'before.outage' })
    expect(await layer.receive(channel)).toEqual({ type: 'before.outage' })

    const pending = track(layer.receive(channel))
    await server.stop()
    await expectUnavailable(layer.send(channel, { type: 'during.outage' }), server.url)
    await expectUnavailable(layer.groupSend('room', { type: 'during.outage' }), server.url)
    expect(pending.settled()).toBe(false)

    await server.restart()
    // The subscriber renews the channel and the group subscription, with no help from the app.
    await logger.waitFor('Subscribed to 2 channels on Redis at', 1)
    // The subscriber and the publisher connection both come back.
    await logger.waitFor('Reconnected to Redis at', 2)
    await expectDeliveredAfterOutage(layer, channel, pending.promise)
  })

  it('keeps traffic flowing across repeated outages without losing the receiver', async () => {
    const { layer, logger } = onPrivateServer(RedisChannelLayer)
    const channel = await layer.newChannel()
    for (let round = 1; round <= 3; round++) {
      const pending = track(layer.receive(channel))
      await server.stop()
      await expectUnavailable(layer.send(channel, { type: 'lost' }), server.url)
      await server.restart()
      await logger.waitFor('Reconnected to Redis at', 2 * round)
      await layer.send(channel, { type: 'round', round })
      expect(await pending.promise).toEqual({ type: 'round', round })
    }
  })
})

describe.skipIf(!runnable)('Redis layers with nothing listening', () => {
  it.each([
    [
      'RedisChannelLayer',
      (url: string) =>
        new RedisChannelLayer({ hosts: url, connectTimeoutMs: 1000, logger: watchingLogger() }),
    ],
    [
      'RedisPubSubChannelLayer',
      (url: string) =>
        new RedisPubSubChannelLayer({
          hosts: url,
          connectTimeoutMs: 1000,
          logger: watchingLogger(),
        }),
    ],
  ])(
    '%s rejects sends with RedisConnectionError at once',
    async (_name, make: (url: string) => ChannelLayer) => {
      const url = `redis://127.0.0.1:${await freePort()}`
      const layer = make(url)
      onTestFinished(() => layer.close())
      await expectUnavailable(layer.send('chat', { type: 'x' }), url)
      // Known to be down now: the next one fails without even waiting for a connection attempt.
      await expectUnavailable(layer.groupSend('room', { type: 'x' }), url, 100)
    },
  )
})

describe('RedisChannelLayer.close() with nothing listening', () => {
  it('settles at once after a receive ran, though ioredis emits no "end" between reconnections', async () => {
    const layer = new RedisChannelLayer({
      hosts: `redis://127.0.0.1:${await freePort()}`,
      connectTimeoutMs: 1000,
      logger: watchingLogger(),
    })
    const channel = await layer.newChannel()
    const receiving = layer.receive(channel, { signal: AbortSignal.timeout(200) })
    await expect(receiving).rejects.toMatchObject({ name: 'TimeoutError' })
    const started = Date.now()
    await layer.close()
    expect(Date.now() - started).toBeLessThan(1000)
  })
})

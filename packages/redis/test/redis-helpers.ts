import {
  deleteKeys,
  inspector,
  REDIS_URL,
  redisNeeded,
  uniquePrefix,
} from '@node-channels/test-support/redis'
import type { Redis } from 'ioredis'
import { afterAll, onTestFinished } from 'vitest'
import type { RedisLayerLogger } from '../src/logger.js'
import type { RedisLayerCommonOptions } from '../src/options.js'

/** The shared test Redis and its key helpers, from @node-channels/test-support. */
export { deleteKeys, inspector, REDIS_URL, uniquePrefix }

/**
 * Whether Redis tests run: they skip when Redis is absent, except under CI, where a missing
 * Redis fails loudly.
 */
export const redisAvailable: boolean = await redisNeeded()

/** A plain client on the shared Redis for one test file (call at its top level); disconnected after its tests. */
export function fileInspector(): Redis {
  const client = inspector()
  afterAll(() => client.disconnect())
  return client
}

/** What a layer made for a test needs: its key prefix, and a close. */
interface TestLayer {
  readonly prefix: string
  close(): Promise<void>
}

/**
 * A `Layer` on the shared Redis under a fresh prefix (unless `options` names one), closed when
 * the test ends and then every key under its prefix deleted through `redis`.
 */
export function layerForTest<O extends RedisLayerCommonOptions, L extends TestLayer>(
  redis: Redis,
  Layer: new (options: O) => L,
  label: string,
  options: O = {} as O,
): L {
  const layer = new Layer({
    hosts: REDIS_URL,
    ...options,
    prefix: options.prefix ?? uniquePrefix(label),
  })
  onTestFinished(async () => {
    await layer.close()
    await deleteKeys(redis, layer.prefix)
  })
  return layer
}

/** Waits until Redis counts a subscriber on `channel` (layers subscribe in the background; no event says when). */
export async function subscribed(client: Redis, channel: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const [, count] = (await client.pubsub('NUMSUB', channel)) as [string, number]
    if (count > 0) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`Nobody subscribed to ${channel} within 2 s.`)
}

/** A logger that records what it is told, for asserting on skipped entries. */
export function recordingLogger(): RedisLayerLogger & { lines: string[] } {
  const lines: string[] = []
  return {
    lines,
    info: (message) => lines.push(`info: ${message}`),
    warn: (message) => lines.push(`warn: ${message}`),
    error: (message) => lines.push(`error: ${message}`),
  }
}

/**
 * Records, through MONITOR on a connection duplicated from `redis` (closed when the test
 * ends), the commands clients send for keys under `prefix`, not those run inside scripts.
 * `commands()` gives those run so far: it first has `redis` run a marker command and waits
 * (up to 5 s) until MONITOR has reported it, which it does after every command run before.
 */
export async function monitorCommands(
  redis: Redis,
  prefix: string,
): Promise<{ commands(): Promise<string[][]> }> {
  const monitor = await redis.monitor()
  onTestFinished(() => monitor.disconnect())
  const seen: string[][] = []
  const marker = `${prefix}:monitor-marker`
  let marked: (() => void) | null = null
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (args[1] === marker) marked?.()
    else if (source !== 'lua' && args.some((arg) => arg.startsWith(prefix))) {
      seen.push([(args[0] ?? '').toLowerCase(), ...args.slice(1)])
    }
  })
  return {
    async commands() {
      const reported = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('MONITOR did not report the marker.')),
          5000,
        )
        marked = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      await redis.exists(marker)
      await reported
      marked = null
      return [...seen]
    },
  }
}

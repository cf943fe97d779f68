import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import type { RedisLayerLogger } from '../src/logger.js'

/** The shared test Redis; CI starts it, locally it may be absent. */
export const REDIS_URL: string = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** True when the shared Redis answers PING within a second. */
export async function redisIsUp(url: string = REDIS_URL): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
  })
  client.on('error', () => {})
  try {
    await client.connect()
    return (await client.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    client.disconnect()
  }
}

/**
 * Whether Redis tests run: they skip when Redis is absent, except under CI, where a missing
 * Redis must fail loudly.
 */
export const redisAvailable: boolean = (await redisIsUp()) || Boolean(process.env.CI)

/** A key prefix no other test run uses (layers' prefixes, pub/sub channel names). */
export function uniquePrefix(label: string): string {
  return `nctest.${label}.${randomUUID().slice(0, 8)}.`
}

/** A plain client on the shared Redis for inspecting keys; close it with `disconnect()`. */
export function inspector(url: string = REDIS_URL): Redis {
  const client = new Redis(url)
  client.on('error', () => {})
  return client
}

/** Deletes every key starting with `prefix` (SCAN, never KEYS or FLUSHALL on the shared Redis). */
export async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0'
  for (let round = 0; round < 10_000; round++) {
    const [next, keys] = await client.scan(
      cursor,
      'MATCH',
      `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`,
      'COUNT',
      1000,
    )
    if (keys.length > 0) await client.del(...keys)
    cursor = next
    if (cursor === '0') return
  }
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

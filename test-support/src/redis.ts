import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { neededHere } from './needed.js'

/** The shared test Redis (REDIS_URL, or 127.0.0.1:6379); CI starts it, locally it may be absent. */
export const REDIS_URL: string = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** True when the Redis at `url` answers PING within a second. */
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

/** Whether the Redis tests run: they skip without Redis, except under CI (then this throws). */
export async function redisNeeded(url: string = REDIS_URL): Promise<boolean> {
  return neededHere(await redisIsUp(url), `Redis is not reachable at ${url}`)
}

/** A key prefix no other test run uses (layers' prefixes, pub/sub channel names). */
export function uniquePrefix(label: string): string {
  return `nctest.${label}.${randomUUID().slice(0, 8)}.`
}

/** A channel layer URL on the shared Redis with a prefix no other test run uses. */
export function uniqueRedisUrl(label: string): string {
  return `${REDIS_URL}?prefix=${encodeURIComponent(uniquePrefix(label))}`
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

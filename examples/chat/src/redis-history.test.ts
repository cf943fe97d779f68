import { deleteKeys, REDIS_URL, redisNeeded, uniquePrefix } from '@node-channels/test-support/redis'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { entry } from './chat-client.test-util.js'
import { RedisHistoryStore } from './redis-history.js'

const available = await redisNeeded()

describe.skipIf(!available)('RedisHistoryStore (on the shared test Redis)', () => {
  const prefix = uniquePrefix('history')
  let redis: Redis
  let store: RedisHistoryStore

  beforeAll(() => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
    store = new RedisHistoryStore(new Redis(REDIS_URL, { maxRetriesPerRequest: 1 }), {
      prefix,
      size: 3,
    })
  })

  afterAll(async () => {
    await deleteKeys(redis, prefix)
    await store.close()
    await redis.quit()
  })

  it('keeps the last `size` messages of each room, oldest first, with an expiry', async () => {
    for (let n = 1; n <= 5; n += 1) await store.append('chat_a', entry(n))
    expect(await store.recent('chat_a')).toEqual([entry(3), entry(4), entry(5)])
    expect(await store.recent('chat_b')).toEqual([])
    expect(await redis.llen(`${prefix}history:chat_a`)).toBe(3)
    const ttl = await redis.pttl(`${prefix}history:chat_a`)
    expect(ttl).toBeGreaterThan(6 * 24 * 60 * 60 * 1000)
  })

  it('is shared by every store on the same Redis and prefix', async () => {
    const other = new RedisHistoryStore(new Redis(REDIS_URL, { maxRetriesPerRequest: 1 }), {
      prefix,
      size: 3,
    })
    try {
      await other.append('chat_shared', entry(7))
      expect(await store.recent('chat_shared')).toEqual([entry(7)])
    } finally {
      await other.close()
    }
  })

  it('skips entries that are not chat messages', async () => {
    const key = `${prefix}history:chat_bad`
    await redis.rpush(key, 'not json', JSON.stringify({ id: 'x' }), JSON.stringify(entry(1)))
    expect(await store.recent('chat_bad')).toEqual([entry(1)])
  })

  it('closes its client, and a second close is harmless', async () => {
    const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
    const closing = new RedisHistoryStore(client, { prefix })
    await closing.recent('chat_a')
    await closing.close()
    await closing.close()
    expect(client.status).toBe('end')
  })
})

import { RedisChannelLayer } from '@node-channels/redis'
import { Redis } from 'ioredis'
import { startRedis } from '../process/redis-instance.js'

const PREFIX = 'bench-group-send:'

/** What `measureRedisGroupSend()` runs. */
export type RedisGroupSendOptions = {
  /** Members of the group, process-local channels of two processes (half each). */
  members: number
  /** Group sends measured, one after another (after ten of warm-up). */
  sends: number
}

/** Per group send, in microseconds. */
export type RedisGroupSendResult = {
  userUs: number
  systemUs: number
  wallUs: number
}

/**
 * Measures what one `RedisChannelLayer.groupSend()` costs the sending process, against a
 * private redis-server: a group of `members` channels of two other processes (nobody reads
 * them; their queues have room for every message), `sends` awaited one after another.
 */
export async function measureRedisGroupSend(
  options: RedisGroupSendOptions,
): Promise<RedisGroupSendResult> {
  const { members, sends } = options
  const redis = await startRedis()
  const layer = new RedisChannelLayer({ hosts: [redis.url], prefix: PREFIX, capacity: sends + 10 })
  const client = new Redis(redis.url)
  try {
    for (let index = 0; index < members; index++) {
      const owner = index % 2 === 0 ? 'first' : 'second'
      await layer.groupAdd('room', `specific.${owner}!${String(index).padStart(12, '0')}`)
    }
    const message = { type: 'chat.message', text: 'x'.repeat(64) }
    for (let round = 0; round < 10; round++) await layer.groupSend('room', message)
    const cpu = process.cpuUsage()
    const started = process.hrtime.bigint()
    for (let round = 0; round < sends; round++) await layer.groupSend('room', message)
    const wall = Number(process.hrtime.bigint() - started) / 1000
    const used = process.cpuUsage(cpu)
    // Every send stored one message in each process's queue.
    for (const owner of ['first', 'second']) {
      const stored = await client.zcard(`${PREFIX}specific.${owner}!`)
      if (stored !== sends + 10) {
        throw new Error(`The ${owner} process's queue holds ${stored} of ${sends + 10} messages.`)
      }
    }
    return { userUs: used.user / sends, systemUs: used.system / sends, wallUs: wall / sends }
  } finally {
    client.disconnect()
    await layer.close()
    await redis.server.stop()
  }
}

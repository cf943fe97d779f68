import type { Socket } from 'node:net'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { RedisConnection } from '../src/connection.js'
import { parseRedisChannelLayerOptions } from '../src/options.js'
import { REDIS_URL, recordingLogger, redisAvailable } from './redis-helpers.js'

function connect(): RedisConnection {
  const { hosts } = parseRedisChannelLayerOptions({ hosts: REDIS_URL })
  const connection = new RedisConnection({
    host: hosts[0] as (typeof hosts)[0],
    name: 'test:command',
    connectTimeoutMs: 2000,
    commandTimeoutMs: 2000,
    logger: recordingLogger(),
  })
  onTestFinished(() => connection.close())
  return connection
}

describe.skipIf(!redisAvailable)('RedisConnection', () => {
  it('sends every command of one tick, from any caller, in a single write', async () => {
    const connection = connect()
    await connection.ready()
    const socket = connection.client.stream as Socket
    const writev = vi.spyOn(socket, '_writev')
    const write = vi.spyOn(socket, '_write')
    const replies = await Promise.all([
      connection.run((client) => Promise.all([client.ping('one'), client.ping('two')])),
      connection.run((client) => client.ping('three')),
      // A continuation in the same tick joins the same write.
      Promise.resolve().then(() => connection.run((client) => client.ping('four'))),
    ])
    expect(replies).toEqual([['one', 'two'], 'three', 'four'])
    expect(writev).toHaveBeenCalledTimes(1)
    expect(write).not.toHaveBeenCalled()
  })
})

import { type CapacityTable, nonLocalName } from '@node-channels/core'
import { consistentHash } from './sharding.js'

/** One Redis queue a group message goes to: the group's channels in it, its room, its shard. */
export interface GroupQueue {
  /** The queue's Redis key (prefix + non-local name). */
  key: string
  /** The group members whose messages land in this queue; sent as `__asgi_channel__`. */
  channels: string[]
  /** The queue's capacity for this group message. */
  capacity: number
}

/**
 * Buckets a group's members by Redis queue and the queues by shard, as channels_redis'
 * `_map_channel_keys_to_connection` does: process-local channels of one process share a queue,
 * which gets one message listing them all. Unlike channels_redis, whose capacity is the first
 * member's, a shared queue has room for all its members' capacities, so one full member cannot
 * starve its neighbours.
 */
export function groupQueuesByShard(
  members: readonly string[],
  prefix: string,
  capacities: CapacityTable,
  shardCount: number,
): Map<number, GroupQueue[]> {
  const queues = new Map<string, GroupQueue>()
  const shards = new Map<number, GroupQueue[]>()
  for (const channel of members) {
    const queue = nonLocalName(channel)
    const existing = queues.get(queue)
    if (existing) {
      existing.channels.push(channel)
      existing.capacity += capacities.get(channel)
      continue
    }
    const entry = { key: prefix + queue, channels: [channel], capacity: capacities.get(channel) }
    queues.set(queue, entry)
    const shard = consistentHash(queue, shardCount)
    shards.set(shard, [...(shards.get(shard) ?? []), entry])
  }
  return shards
}

import { consistentHash } from './sharding.js'

/** One Redis queue a group message goes to: the group's channels in it, its room, its shard. */
export interface GroupQueue {
  /** The queue's Redis key (prefix + non-local name). */
  key: string
  /** The group members whose messages land in this queue, as stored (UTF-8); sent as `__asgi_channel__`. */
  channels: Buffer[]
  /** The queue's capacity for this group message. */
  capacity: number
}

/** "!", which ends the non-local part of a process-local channel name. */
const BANG = 0x21

/**
 * Buckets a group's members (as `ZRANGE` returns them, UTF-8 bytes) by Redis queue and the
 * queues by shard, as channels_redis' `_map_channel_keys_to_connection` does: process-local
 * channels of one process share a queue, which gets one message listing them all. Unlike
 * channels_redis, whose capacity is the first member's, a shared queue has room for all its
 * members' capacities, so one full member cannot starve its neighbours.
 */
export function groupQueuesByShard(
  members: readonly Buffer[],
  prefix: string,
  capacityOf: (member: Buffer) => number,
  shardCount: number,
): Map<number, GroupQueue[]> {
  const queues = new Map<string, GroupQueue>()
  const shards = new Map<number, GroupQueue[]>()
  for (const member of members) {
    const bang = member.indexOf(BANG)
    // The non-local name: up to and including the "!", or the whole name.
    const queue = member.toString('utf8', 0, bang === -1 ? member.length : bang + 1)
    const existing = queues.get(queue)
    if (existing) {
      existing.channels.push(member)
      existing.capacity += capacityOf(member)
      continue
    }
    const entry = { key: prefix + queue, channels: [member], capacity: capacityOf(member) }
    queues.set(queue, entry)
    const shard = consistentHash(queue, shardCount)
    const list = shards.get(shard)
    if (list) list.push(entry)
    else shards.set(shard, [entry])
  }
  return shards
}

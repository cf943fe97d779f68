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
  const recent = new RecentQueues()
  for (const member of members) {
    let entry = recent.find(member)
    if (entry === undefined) {
      const bang = member.indexOf(BANG)
      // The non-local name: up to and including the "!", or the whole name.
      const end = bang === -1 ? member.length : bang + 1
      const queue = member.toString('utf8', 0, end)
      entry = queues.get(queue)
      if (entry === undefined) {
        entry = { key: prefix + queue, channels: [], capacity: 0 }
        queues.set(queue, entry)
        const shard = consistentHash(queue, shardCount)
        const list = shards.get(shard)
        if (list) list.push(entry)
        else shards.set(shard, [entry])
      }
      recent.add(member.subarray(0, end), entry)
    }
    entry.channels.push(member)
    entry.capacity += capacityOf(member)
  }
  return shards
}

/** How many queues `RecentQueues` compares a member with before it decodes the member's name. */
const RECENT = 8

/**
 * The queues members were last found in, by the bytes of their non-local name: the members
 * of a few processes' queues are matched byte for byte, without decoding each name and
 * looking the string up. A miss falls back to the decoded name, which stays the queue's key.
 */
class RecentQueues {
  readonly #names: Buffer[] = []
  readonly #queues: GroupQueue[] = []
  #next = 0

  /**
   * The recent queue whose non-local name `member` starts with, if any. A process-local name
   * ends with its only "!", so a member starting with it has its first "!" there too (and a
   * named channel, without "!", is its own queue: only an equal member matches it).
   */
  find(member: Buffer): GroupQueue | undefined {
    const names = this.#names
    for (let index = 0; index < names.length; index++) {
      const name = names[index] as Buffer
      const end = name.length
      if (end > member.length || (end < member.length && name[end - 1] !== BANG)) continue
      // From the end: the random part before the "!" tells processes apart soonest.
      let at = end - 1
      while (at >= 0 && name[at] === member[at]) at--
      if (at < 0) return this.#queues[index]
    }
    return undefined
  }

  add(name: Buffer, queue: GroupQueue): void {
    if (this.#names.length < RECENT) {
      this.#names.push(name)
      this.#queues.push(queue)
      return
    }
    this.#names[this.#next] = name
    this.#queues[this.#next] = queue
    this.#next = (this.#next + 1) % RECENT
  }
}

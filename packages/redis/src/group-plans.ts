import { encodeChannelList } from './channel-list.js'
import { groupQueuesByShard } from './group-queues.js'

/** One queue a group message goes to, as a plan keeps it. */
export interface PlannedQueue {
  /** The queue's Redis key (prefix + non-local name). */
  key: string
  /** The queue's capacity for this group message. */
  capacity: number
  /** The `__asgi_channel__` value of its message: its members' names (`encodeChannelList`). */
  channels: Uint8Array
}

/** How many groups' plans a `GroupPlans` keeps, at most. */
const KEPT_GROUPS = 8
/** How many bytes (members and channel lists) the kept plans hold, at most (the newest is kept regardless). */
const KEPT_BYTES = 4 * 1024 * 1024

/** A group send's queues by shard, and the members they were built from. */
interface Plan {
  /** The members' bytes, one after another. */
  members: Buffer
  /** Where each member ends in `members`. */
  ends: Uint32Array
  shards: Map<number, PlannedQueue[]>
  bytes: number
}

/**
 * The queues of a group send, by shard, with each queue's channel list already encoded,
 * built from the group's members as `ZRANGE` returns them (`groupQueuesByShard`). A plan is
 * reused while the next send's read returns the same members in the same order, compared
 * byte for byte, which costs far less than bucketing and encoding them again (for 1,000
 * members, about 90 and 130 µs on the benchmark machine); the last KEPT_GROUPS groups sent
 * to keep theirs.
 */
export class GroupPlans {
  readonly #plans = new Map<string, Plan>()
  #bytes = 0
  readonly #prefix: string
  readonly #capacityOf: (member: Buffer) => number
  readonly #shardCount: number

  constructor(prefix: string, capacityOf: (member: Buffer) => number, shardCount: number) {
    this.#prefix = prefix
    this.#capacityOf = capacityOf
    this.#shardCount = shardCount
  }

  /**
   * The queues, by shard, of the plan kept for `group` and how many members it was built
   * from, if one is kept (it is then the newest).
   */
  known(group: string): { shards: Map<number, PlannedQueue[]>; members: number } | undefined {
    const plan = this.#plans.get(group)
    if (plan === undefined) return undefined
    this.#forget(group, plan)
    this.#keep(group, plan)
    return { shards: plan.shards, members: plan.ends.length }
  }

  /** The queues, by shard, of a send to `group`, whose members are `members`. */
  planFor(group: string, members: readonly Buffer[]): Map<number, PlannedQueue[]> {
    const known = this.#plans.get(group)
    if (known !== undefined) {
      // Taken out either way: a plan reused goes back in as the newest.
      this.#forget(group, known)
      if (sameMembers(known, members)) return this.#keep(group, known)
    }
    const shards = new Map<number, PlannedQueue[]>()
    let bytes = 0
    const queuesByShard = groupQueuesByShard(
      members,
      this.#prefix,
      this.#capacityOf,
      this.#shardCount,
    )
    for (const [shard, queues] of queuesByShard) {
      const planned = queues.map(({ key, capacity, channels }) => {
        const list = encodeChannelList(channels)
        bytes += list.byteLength
        return { key, capacity, channels: list }
      })
      shards.set(shard, planned)
    }
    const ends = new Uint32Array(members.length)
    let end = 0
    for (let index = 0; index < members.length; index++) {
      end += (members[index] as Buffer).length
      ends[index] = end
    }
    return this.#keep(group, {
      members: Buffer.concat(members, end),
      ends,
      shards,
      bytes: bytes + end,
    })
  }

  /** Keeps `plan` as the newest, dropping the oldest ones past the bounds; returns its queues. */
  #keep(group: string, plan: Plan): Map<number, PlannedQueue[]> {
    this.#plans.set(group, plan)
    this.#bytes += plan.bytes
    for (const [oldest, kept] of this.#plans) {
      if (kept === plan || (this.#plans.size <= KEPT_GROUPS && this.#bytes <= KEPT_BYTES)) break
      this.#forget(oldest, kept)
    }
    return plan.shards
  }

  #forget(group: string, plan: Plan): void {
    this.#plans.delete(group)
    this.#bytes -= plan.bytes
  }
}

/** True when `members` are, byte for byte and in order, the members `plan` was built from. */
function sameMembers(plan: Plan, members: readonly Buffer[]): boolean {
  const { ends } = plan
  if (ends.length !== members.length) return false
  let start = 0
  for (let index = 0; index < members.length; index++) {
    const member = members[index] as Buffer
    const end = ends[index] as number
    if (member.length !== end - start || member.compare(plan.members, start, end) !== 0) {
      return false
    }
    start = end
  }
  return true
}

import { CapacityTable } from '@node-channels/core'
import { describe, expect, it } from 'vitest'
import { groupQueuesByShard } from './group-queues.js'

describe('groupQueuesByShard', () => {
  it('gives one queue per process, listing its channels, with their capacities summed', () => {
    const capacities = new CapacityTable(100, { 'specific.p1!b': 5 })
    const shards = groupQueuesByShard(
      ['specific.p1!a', 'worker', 'specific.p1!b', 'specific.p2!c'],
      'asgi',
      capacities,
      1,
    )
    expect([...shards]).toEqual([
      [
        0,
        [
          { key: 'asgispecific.p1!', channels: ['specific.p1!a', 'specific.p1!b'], capacity: 105 },
          { key: 'asgiworker', channels: ['worker'], capacity: 100 },
          { key: 'asgispecific.p2!', channels: ['specific.p2!c'], capacity: 100 },
        ],
      ],
    ])
  })

  it("puts each queue on the shard of its non-local name, as channels_redis' group_send does", () => {
    // consistent hashes over 2 shards: "key_one" -> 1, "key_two" -> 0 (channels_redis test vectors)
    const shards = groupQueuesByShard(['key_one', 'key_two'], 'asgi', new CapacityTable(100), 2)
    expect(shards.get(1)?.map((queue) => queue.key)).toEqual(['asgikey_one'])
    expect(shards.get(0)?.map((queue) => queue.key)).toEqual(['asgikey_two'])
  })
})

import { CapacityTable } from '@node-channels/core'
import { describe, expect, it } from 'vitest'
import { groupQueuesByShard } from './group-queues.js'

const bytes = (names: string[]) => names.map((name) => Buffer.from(name))

describe('groupQueuesByShard', () => {
  it('gives one queue per process, listing its channels, with their capacities summed', () => {
    const capacities = new CapacityTable(100, { 'specific.p1!b': 5 })
    const shards = groupQueuesByShard(
      bytes(['specific.p1!a', 'worker', 'specific.p1!b', 'specific.p2!c']),
      'asgi',
      (member) => capacities.get(member.toString()),
      1,
    )
    expect([...shards]).toEqual([
      [
        0,
        [
          {
            key: 'asgispecific.p1!',
            channels: bytes(['specific.p1!a', 'specific.p1!b']),
            capacity: 105,
          },
          { key: 'asgiworker', channels: bytes(['worker']), capacity: 100 },
          { key: 'asgispecific.p2!', channels: bytes(['specific.p2!c']), capacity: 100 },
        ],
      ],
    ])
  })

  it("puts each queue on the shard of its non-local name, as channels_redis' group_send does", () => {
    // consistent hashes over 2 shards: "key_one" -> 1, "key_two" -> 0 (channels_redis test vectors)
    const shards = groupQueuesByShard(bytes(['key_one', 'key_two']), 'asgi', () => 100, 2)
    expect(shards.get(1)?.map((queue) => queue.key)).toEqual(['asgikey_one'])
    expect(shards.get(0)?.map((queue) => queue.key)).toEqual(['asgikey_two'])
  })

  it('keeps non-ASCII names (Python accepts them) as UTF-8 in the key', () => {
    const shards = groupQueuesByShard(bytes(['chät.p!x', 'chät.p!y']), 'asgi', () => 1, 1)
    expect(shards.get(0)).toEqual([
      { key: 'asgichät.p!', channels: bytes(['chät.p!x', 'chät.p!y']), capacity: 2 },
    ])
  })

  it('buckets many interleaved processes as a lookup by decoded name does', () => {
    const members: Buffer[] = []
    for (let index = 0; index < 400; index++) {
      const process = (index * 7) % 20
      members.push(
        index % 9 === 0
          ? Buffer.from(`named.${index % 4}`)
          : Buffer.from(`specific.p${process.toString().padStart(2, '0')}!${index}`),
      )
    }
    // The reference: every name decoded and looked up by its non-local part.
    const expected = new Map<string, Buffer[]>()
    for (const member of members) {
      const name = member.toString()
      const queue = name.includes('!') ? name.slice(0, name.indexOf('!') + 1) : name
      expected.set(`asgi${queue}`, [...(expected.get(`asgi${queue}`) ?? []), member])
    }
    const queues = [...groupQueuesByShard(members, 'asgi', () => 1, 1).values()].flat()
    expect(queues.map(({ key, channels, capacity }) => [key, channels, capacity])).toEqual(
      [...expected].map(([key, channels]) => [key, channels, channels.length]),
    )
  })

  it('tells a named channel from a longer name it begins, and cuts at the first "!"', () => {
    const members = bytes(['worker', 'worker2', 'a!x', 'a!b!c', 'worker', 'a!'])
    const queues = groupQueuesByShard(members, 'asgi', () => 1, 1).get(0) ?? []
    expect(queues.map(({ key, channels }) => [key, channels.map(String)])).toEqual([
      ['asgiworker', ['worker', 'worker']],
      ['asgiworker2', ['worker2']],
      ['asgia!', ['a!x', 'a!b!c', 'a!']],
    ])
  })

  it('puts names whose bytes differ but decode alike in one queue, as decoding them would', () => {
    const first = Buffer.concat([Buffer.from('specific.a'), Buffer.of(0xff), Buffer.from('!x')])
    const second = Buffer.concat([Buffer.from('specific.a'), Buffer.of(0xfe), Buffer.from('!y')])
    expect(groupQueuesByShard([first, second], 'asgi', () => 1, 1).get(0)).toEqual([
      { key: 'asgispecific.a\uFFFD!', channels: [first, second], capacity: 2 },
    ])
  })
})

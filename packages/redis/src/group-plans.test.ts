import { describe, expect, it } from 'vitest'
import { encodeChannelList } from './channel-list.js'
import { GroupPlans } from './group-plans.js'
import { groupQueuesByShard } from './group-queues.js'

/** Fresh Buffers for the names, as each `ZRANGE` reply gives. */
const bytes = (names: readonly string[]): Buffer[] => names.map((name) => Buffer.from(name))

const NAMES = ['specific.a!1', 'specific.b!1', 'specific.a!2', 'named.channel']

describe('GroupPlans', () => {
  it('plans the queues groupQueuesByShard gives, each with its channel list encoded', () => {
    const plans = new GroupPlans('asgi:', () => 5, 2)
    const members = bytes(NAMES)
    const planned = plans.planFor('g', members)
    const expected = groupQueuesByShard(members, 'asgi:', () => 5, 2)
    expect([...planned.keys()]).toEqual([...expected.keys()])
    for (const [shard, queues] of expected) {
      expect(planned.get(shard)).toEqual(
        queues.map(({ key, capacity, channels }) => ({
          key,
          capacity,
          channels: encodeChannelList(channels),
        })),
      )
    }
  })

  it('reuses a plan while the members are the same bytes in the same order', () => {
    const plans = new GroupPlans('asgi:', () => 5, 1)
    const first = plans.planFor('g', bytes(NAMES))
    expect(plans.planFor('g', bytes(NAMES))).toBe(first)
    // Another group with the same members has a plan of its own.
    expect(plans.planFor('h', bytes(NAMES))).not.toBe(first)
    expect(plans.planFor('g', bytes(NAMES))).toBe(first)
  })

  it('plans again when a member changed, moved, joined or left', () => {
    const plans = new GroupPlans('asgi:', () => 5, 1)
    const changes = [
      ['specific.a!1', 'specific.b!1', 'specific.a!3', 'named.channel'],
      ['specific.b!1', 'specific.a!1', 'specific.a!3', 'named.channel'],
      ['specific.b!1', 'specific.a!1', 'specific.a!3', 'named.channel', 'specific.c!1'],
      ['specific.b!1', 'specific.a!1', 'specific.a!3'],
      ['specific.b!1', 'specific.a!1', 'specific.a!33'],
    ]
    let previous = plans.planFor('g', bytes(NAMES))
    for (const names of changes) {
      const next = plans.planFor('g', bytes(names))
      expect(next).not.toBe(previous)
      const channels = [...next.values()].flat().flatMap(({ channels }) => [channels])
      expect(Buffer.concat(channels).toString()).toContain(names.at(-1))
      previous = next
    }
  })

  it('gives the queues and member count of the plan kept for a group, keeping it as the newest', () => {
    const plans = new GroupPlans('asgi:', () => 5, 1)
    expect(plans.known('g')).toBeUndefined()
    const queues = plans.planFor('g', bytes(NAMES))
    expect(plans.known('g')).toEqual({ shards: queues, members: NAMES.length })
    expect(plans.known('g')?.shards).toBe(queues)
    // known() makes g the newest: the seven groups planned after h push h out, not g.
    plans.planFor('h', bytes(NAMES))
    plans.known('g')
    for (let index = 0; index < 7; index++) plans.planFor(`other${index}`, bytes(NAMES))
    expect(plans.known('g')?.shards).toBe(queues)
    expect(plans.known('h')).toBeUndefined()
  })

  it('keeps the eight groups sent to last', () => {
    const plans = new GroupPlans('asgi:', () => 5, 1)
    const first = plans.planFor('g0', bytes(NAMES))
    const second = plans.planFor('g1', bytes(NAMES))
    for (let index = 2; index < 8; index++) plans.planFor(`g${index}`, bytes(NAMES))
    // g0 is sent to again: g1 is now the one sent to longest ago.
    expect(plans.planFor('g0', bytes(NAMES))).toBe(first)
    plans.planFor('g8', bytes(NAMES))
    expect(plans.planFor('g0', bytes(NAMES))).toBe(first)
    expect(plans.planFor('g1', bytes(NAMES))).not.toBe(second)
  })

  it('keeps at most 4 MiB of plans besides the newest', () => {
    const plans = new GroupPlans('asgi:', () => 5, 1)
    // Each plan holds its 60,000 names twice (as read, and encoded): over 2 MiB each.
    const large = Array.from({ length: 60_000 }, (_, index) => `specific.p!${index}`.padEnd(24))
    const first = plans.planFor('big1', bytes(large))
    // Identity compared as booleans: a failed toBe() would compare the megabytes deeply.
    expect(plans.planFor('big1', bytes(large)) === first).toBe(true)
    plans.planFor('big2', bytes(large))
    expect(plans.planFor('big1', bytes(large)) === first).toBe(false)
  })
})

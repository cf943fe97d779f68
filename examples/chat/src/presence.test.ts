import { describe, expect, it } from 'vitest'
import { Roster } from './presence.js'

const ada = { id: 'a', nickname: 'Ada' }
const bob = { id: 'b', nickname: 'bob' }
const cy = { id: 'c', nickname: 'Cy' }

describe('Roster', () => {
  it('tells new members from known and renamed ones', () => {
    const roster = new Roster(100)
    expect(roster.upsert(ada, 0)).toBe('added')
    expect(roster.upsert(ada, 10)).toBe('unchanged')
    expect(roster.upsert({ id: 'a', nickname: 'Ada L' }, 20)).toBe('changed')
    expect(roster.list()).toEqual([{ id: 'a', nickname: 'Ada L' }])
  })

  it('lists members by nickname, case-insensitively, then by id', () => {
    const roster = new Roster(100)
    for (const member of [cy, bob, ada, { id: '0', nickname: 'bob' }]) roster.upsert(member, 0)
    expect(roster.list()).toEqual([ada, { id: '0', nickname: 'bob' }, bob, cy])
  })

  it('removes members, once', () => {
    const roster = new Roster(100)
    roster.upsert(ada, 0)
    expect(roster.remove('a')).toEqual(ada)
    expect(roster.remove('a')).toBeNull()
    expect(roster.has('a')).toBe(false)
  })

  it('expires members not heard from within the timeout, but never the one to keep', () => {
    const roster = new Roster(100)
    roster.upsert(ada, 0)
    roster.upsert(bob, 0)
    roster.upsert(cy, 50)
    expect(roster.expire(100, 'a')).toEqual([])
    expect(roster.expire(101, 'a')).toEqual([bob])
    expect(roster.expire(1000, 'a')).toEqual([cy])
    expect(roster.list()).toEqual([ada])
  })

  it('holds at most maxMembers, dropping the stalest', () => {
    const roster = new Roster(100, 2)
    roster.upsert(ada, 0)
    roster.upsert(bob, 1)
    roster.upsert(ada, 2)
    roster.upsert(cy, 3)
    expect(roster.list()).toEqual([ada, cy])
  })
})

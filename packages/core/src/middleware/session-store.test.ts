import { describe, expect, it } from 'vitest'
import { InMemorySessionStore } from './session-store.js'

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start
  return {
    now: () => time,
    advance: (ms) => {
      time += ms
    },
  }
}

describe('InMemorySessionStore', () => {
  it('saves, loads and deletes JSON text', async () => {
    const store = new InMemorySessionStore()
    expect(await store.load('k')).toBe(null)
    await store.save('k', '{"a":1}', 60_000)
    expect(await store.load('k')).toBe('{"a":1}')
    await store.delete('k')
    expect(await store.load('k')).toBe(null)
    await store.delete('missing')
  })

  it('forgets an entry once its TTL has passed', async () => {
    const time = clock()
    const store = new InMemorySessionStore({ now: time.now })
    await store.save('k', '{}', 1000)
    time.advance(999)
    expect(await store.load('k')).toBe('{}')
    time.advance(1)
    expect(await store.load('k')).toBe(null)
    expect(store.size).toBe(0)
  })

  it('updates only an entry that still exists', async () => {
    const time = clock()
    const store = new InMemorySessionStore({ now: time.now })
    expect(await store.update('k', '{"b":2}', 1000)).toBe(false)
    expect(await store.load('k')).toBe(null)
    await store.save('k', '{}', 1000)
    expect(await store.update('k', '{"b":2}', 1000)).toBe(true)
    expect(await store.load('k')).toBe('{"b":2}')
    time.advance(1000)
    expect(await store.update('k', '{"c":3}', 1000)).toBe(false)
  })

  it('holds at most maxEntries, evicting the least recently saved', async () => {
    const store = new InMemorySessionStore({ maxEntries: 3 })
    for (const key of ['a', 'b', 'c']) await store.save(key, key, 60_000)
    await store.save('a', 'a2', 60_000) // re-saving moves "a" to the back
    await store.save('d', 'd', 60_000)
    expect(store.size).toBe(3)
    expect(await store.load('b')).toBe(null)
    expect([await store.load('a'), await store.load('c'), await store.load('d')]).toEqual([
      'a2',
      'c',
      'd',
    ])
  })

  it('sweeps expired entries when saving, so memory returns to its baseline', async () => {
    const time = clock()
    const store = new InMemorySessionStore({ now: time.now })
    for (let i = 0; i < 50; i++) await store.save(`k${i}`, '{}', 1000)
    expect(store.size).toBe(50)
    time.advance(1000)
    await store.save('fresh', '{}', 1000)
    expect(store.size).toBe(1)
  })

  it('refuses bad options and TTLs', async () => {
    expect(() => new InMemorySessionStore({ maxEntries: 0 })).toThrow(
      new RangeError('InMemorySessionStore maxEntries must be a positive integer; got 0.'),
    )
    const store = new InMemorySessionStore()
    expect(() => store.save('k', '{}', 0)).toThrow(
      new RangeError('Session ttlMs must be a positive number of milliseconds; got 0.'),
    )
  })
})

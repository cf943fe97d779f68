import { describe, expect, it } from 'vitest'
import { entry } from './chat-client.test-util.js'
import { InMemoryHistoryStore } from './history.js'

describe('InMemoryHistoryStore', () => {
  it('keeps the last `size` messages of each room, oldest first', async () => {
    const store = new InMemoryHistoryStore({ size: 3 })
    for (let n = 1; n <= 5; n += 1) await store.append('chat_a', entry(n))
    await store.append('chat_b', entry(9))
    expect(await store.recent('chat_a')).toEqual([entry(3), entry(4), entry(5)])
    expect(await store.recent('chat_b')).toEqual([entry(9)])
    expect(await store.recent('chat_c')).toEqual([])
  })

  it('keeps 50 by default', async () => {
    const store = new InMemoryHistoryStore()
    for (let n = 1; n <= 60; n += 1) await store.append('chat_a', entry(n))
    const recent = await store.recent('chat_a')
    expect(recent).toHaveLength(50)
    expect(recent[0]).toEqual(entry(11))
  })

  it('forgets the least recently used room past maxRooms', async () => {
    const store = new InMemoryHistoryStore({ maxRooms: 2 })
    await store.append('chat_a', entry(1))
    await store.append('chat_b', entry(2))
    await store.append('chat_a', entry(3))
    await store.append('chat_c', entry(4))
    expect(await store.recent('chat_b')).toEqual([])
    expect(await store.recent('chat_a')).toEqual([entry(1), entry(3)])
  })

  it('returns copies, and empties on close', async () => {
    const store = new InMemoryHistoryStore()
    await store.append('chat_a', entry(1))
    ;(await store.recent('chat_a')).push(entry(2))
    expect(await store.recent('chat_a')).toEqual([entry(1)])
    await store.close()
    expect(await store.recent('chat_a')).toEqual([])
  })

  it('refuses bad sizes', () => {
    expect(() => new InMemoryHistoryStore({ size: 0 })).toThrow(
      new RangeError('The size option must be a positive integer, not 0.'),
    )
    expect(() => new InMemoryHistoryStore({ maxRooms: 1.5 })).toThrow(
      new RangeError('The maxRooms option must be a positive integer, not 1.5.'),
    )
  })
})

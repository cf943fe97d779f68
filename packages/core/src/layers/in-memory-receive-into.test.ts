import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ChannelReceiver } from '../channel-layer.js'
import { AsyncConsumer } from '../consumer.js'
import { InvalidChannelLayerError } from '../errors.js'
import { type RelayMemo, type RelayTable, relayTableOf } from '../relay.js'
import type { Message } from '../types.js'
import { InMemoryChannelLayer } from './in-memory-layer.js'

/** A relay table relaying m.two as a message of type "relayed". */
class Relaying extends AsyncConsumer {
  static override relays = { 'm.two': () => ({ type: 'relayed' }) }
}
const table = relayTableOf(Relaying) as RelayTable

// The consumers' fast path: receiveInto()/cancelReceive(), and the per-member copies of
// groupSend(). The channel layer contract (packages/testing) covers the rest.

let layer: InMemoryChannelLayer

beforeEach(() => {
  layer = new InMemoryChannelLayer({ capacity: 3 })
})

afterEach(async () => {
  vi.useRealTimers()
  await layer.close()
})

const nextCallback = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** A receiver that records what it was handed, in order. */
function recorder(): ChannelReceiver & { got: Array<Message | { failed: unknown }> } {
  const got: Array<Message | { failed: unknown }> = []
  return {
    got,
    deliver: (message) => got.push(message),
    fail: (reason) => got.push({ failed: reason }),
  }
}

describe('InMemoryChannelLayer.receiveInto', () => {
  it('hands a queued message over before returning, and one message per call', async () => {
    await layer.send('ch', { type: 'm.one' })
    await layer.send('ch', { type: 'm.two' })
    const reader = recorder()
    layer.receiveInto('ch', reader)
    expect(reader.got).toEqual([{ type: 'm.one' }])
    layer.receiveInto('ch', reader)
    expect(reader.got).toEqual([{ type: 'm.one' }, { type: 'm.two' }])
  })

  it('drops a read-ahead message that expired, checking the time itself within a second of expiry', async () => {
    await layer.close()
    vi.useFakeTimers({ toFake: ['Date'] })
    layer = new InMemoryChannelLayer({ capacity: 3, expiryMs: 500 })
    await layer.send('ch', { type: 'm.one' })
    await layer.send('ch', { type: 'm.two' })
    const reader = recorder()
    layer.receiveInto('ch', reader)
    // Still the callback that read the clock for the first message.
    vi.setSystemTime(Date.now() + 501)
    layer.receiveInto('ch', reader)
    expect(reader.got).toEqual([{ type: 'm.one' }])
    expect(layer.channels.get('ch')).toEqual({ size: 0 })
  })

  it('waits on the channel when every message queued there expired before its first read', async () => {
    await layer.close()
    vi.useFakeTimers({ toFake: ['Date'] })
    layer = new InMemoryChannelLayer({ capacity: 3, expiryMs: 500 })
    await layer.send('ch', { type: 'm.old' })
    vi.setSystemTime(Date.now() + 501)
    const reader = recorder()
    // The expired message goes, and with it the channel: the reader must wait on a new one.
    layer.receiveInto('ch', reader)
    expect(reader.got).toEqual([])
    await layer.send('ch', { type: 'm.new' })
    expect(reader.got).toEqual([{ type: 'm.new' }])
  })

  it('checks a message further from expiry against the clock as read in the callback', async () => {
    await layer.close()
    vi.useFakeTimers({ toFake: ['Date'] })
    layer = new InMemoryChannelLayer({ capacity: 3, expiryMs: 60_000 })
    for (const type of ['m.one', 'm.two', 'm.three']) await layer.send('ch', { type })
    const reader = recorder()
    layer.receiveInto('ch', reader)
    // The same callback, 10 s later by the clock (a callback that ran that long): its reading stands.
    vi.setSystemTime(Date.now() + 10_000)
    layer.receiveInto('ch', reader)
    expect(reader.got).toEqual([{ type: 'm.one' }, { type: 'm.two' }])
    // The next callback reads the clock again: the last message expired meanwhile.
    await nextCallback()
    vi.setSystemTime(Date.now() + 50_001)
    layer.receiveInto('ch', reader)
    expect(reader.got).toHaveLength(2)
    expect(layer.channels.get('ch')).toEqual({ size: 0 })
  })

  it('waits for the next message when none is queued, and keeps the channel open between reads', async () => {
    const reader = recorder()
    layer.receiveInto('ch', reader)
    expect(reader.got).toEqual([])
    await layer.send('ch', { type: 'm.one' })
    expect(reader.got).toEqual([{ type: 'm.one' }])
    // Not waiting now, yet its channel stays until cancelReceive().
    expect([...layer.channels.keys()]).toEqual(['ch'])
    expect(layer.cancelReceive('ch', reader)).toBe(false)
    expect(layer.channels.size).toBe(0)
  })

  it('withdraws a waiting receiver on cancelReceive: the next message stays queued', async () => {
    const reader = recorder()
    layer.receiveInto('ch', reader)
    expect(layer.cancelReceive('ch', reader)).toBe(true)
    expect(layer.channels.size).toBe(0)
    await layer.send('ch', { type: 'm.kept' })
    expect(reader.got).toEqual([])
    expect(await layer.receive('ch')).toEqual({ type: 'm.kept' })
    expect(layer.cancelReceive('unknown', reader)).toBe(false)
  })

  it('serves waiters first come, first served, whether they use receive() or receiveInto()', async () => {
    const reader = recorder()
    layer.receiveInto('ch', reader)
    const received = layer.receive('ch')
    const second = recorder()
    layer.receiveInto('ch', second)
    await layer.send('ch', { type: 'm.one' })
    await layer.send('ch', { type: 'm.two' })
    await layer.send('ch', { type: 'm.three' })
    expect(reader.got).toEqual([{ type: 'm.one' }])
    expect(await received).toEqual({ type: 'm.two' })
    expect(second.got).toEqual([{ type: 'm.three' }])

    // A receive() that waits first is served before a receiveInto() that waits after it.
    const early = layer.receive('other')
    const late = recorder()
    layer.receiveInto('other', late)
    await layer.send('other', { type: 'm.a' })
    expect(await early).toEqual({ type: 'm.a' })
    expect(late.got).toEqual([])
    await layer.send('other', { type: 'm.b' })
    expect(late.got).toEqual([{ type: 'm.b' }])
  })

  it('hands errors to fail(): a bad channel name, a closed layer, and close() while waiting', async () => {
    const bad = recorder()
    layer.receiveInto('bad name', bad)
    expect(bad.got).toHaveLength(1)
    expect((bad.got[0] as { failed: Error }).failed).toBeInstanceOf(TypeError)

    const waiting = recorder()
    layer.receiveInto('ch', waiting)
    await layer.close()
    expect(waiting.got).toEqual([
      { failed: new InvalidChannelLayerError('The channel layer was closed.') },
    ])
    const late = recorder()
    layer.receiveInto('ch', late)
    expect(late.got).toEqual([
      { failed: new InvalidChannelLayerError('The channel layer was closed.') },
    ])
    expect(layer.cancelReceive('ch', late)).toBe(false)
  })

  it('keeps the waiting receiver across flush(), on a fresh empty channel', async () => {
    const reader = recorder()
    layer.receiveInto('ch', reader)
    await layer.flush()
    await layer.send('ch', { type: 'm.after' })
    expect(reader.got).toEqual([{ type: 'm.after' }])
  })
})

describe('InMemoryChannelLayer.groupSend copies', () => {
  async function members(count: number): Promise<ReturnType<typeof recorder>[]> {
    const readers: ReturnType<typeof recorder>[] = []
    for (let index = 0; index < count; index++) {
      const channel = await layer.newChannel()
      await layer.groupAdd('room', channel)
      const reader = recorder()
      layer.receiveInto(channel, reader)
      readers.push(reader)
    }
    return readers
  }

  it.each<[label: string, message: Message]>([
    ['a flat message', { type: 'chat.message', text: 'hi', n: 1, ok: true, none: null }],
    [
      'a nested message',
      { type: 'chat.message', payload: { items: ['a', { b: [1, 2] }], meta: {} }, list: [] },
    ],
    ['binary data', { type: 'chat.message', bytes: new Uint8Array([1, 2, 3]) }],
    ['a Date and a Map', { type: 'chat.message', at: new Date(0), map: new Map([['k', 1]]) }],
  ])('gives every member its own deep copy of %s, equal to the one sent', async (_label, sent) => {
    const readers = await members(3)
    await layer.groupSend('room', sent)
    const got = readers.map((reader) => reader.got[0] as Message)
    for (const message of got) {
      expect(message).toEqual(sent)
      expect(message).not.toBe(sent)
      expect(Object.isFrozen(message)).toBe(false)
    }
    expect(got[0]).not.toBe(got[1])
    expect(got[1]).not.toBe(got[2])
    for (const key of Object.keys(sent)) {
      const value = sent[key]
      if (typeof value === 'object' && value !== null) {
        expect(got[0]?.[key]).not.toBe(got[1]?.[key])
        expect(got[0]?.[key]).not.toBe(value)
      }
    }
  })

  it('lets no member change what another receives', async () => {
    const readers = await members(2)
    const sent = { type: 'chat.message', payload: { items: ['a'] } }
    await layer.groupSend('room', sent)
    const [first, second] = readers.map((reader) => reader.got[0] as typeof sent)
    first?.payload.items.push('changed by the first member')
    expect(second).toEqual({ type: 'chat.message', payload: { items: ['a'] } })
  })

  it('keeps shared and cyclic objects shared and cyclic in every copy, as structuredClone does', async () => {
    const readers = await members(2)
    const shared = { name: 'shared' }
    const cyclic: Message = { type: 'chat.message', a: shared, b: shared }
    cyclic.self = cyclic
    await layer.groupSend('room', cyclic)
    for (const reader of readers) {
      const message = reader.got[0] as Record<string, unknown>
      expect(message.a).toBe(message.b)
      expect(message.a).not.toBe(shared)
      expect(message.self).toBe(message)
    }
    const [one, two] = readers.map((reader) => reader.got[0] as Message)
    expect(one?.a).not.toBe(two?.a)
  })

  it('copies a "__proto__" key as a key, never as a prototype', async () => {
    const readers = await members(3)
    const sent = JSON.parse(
      '{"type":"chat.message","__proto__":{"polluted":true},"nested":{"__proto__":{"polluted":true}}}',
    ) as Message
    await layer.groupSend('room', sent)
    for (const reader of readers) {
      const message = reader.got[0] as Record<string, Record<string, unknown>>
      expect(Object.getPrototypeOf(message)).toBe(Object.prototype)
      expect(Object.hasOwn(message, '__proto__')).toBe(true)
      expect(Object.getOwnPropertyDescriptor(message, '__proto__')?.value).toEqual({
        polluted: true,
      })
      expect(Object.getPrototypeOf(message.nested)).toBe(Object.prototype)
      expect(message.polluted).toBeUndefined()
      expect(message.nested?.polluted).toBeUndefined()
    }
  })

  it('keeps holes and extra keys of arrays, as structuredClone does', async () => {
    const readers = await members(2)
    const sparse: unknown[] = [1, 2, 3]
    delete sparse[1]
    const tagged = Object.assign([1, 2], { label: 'extra' })
    await layer.groupSend('room', { type: 'chat.message', sparse, tagged })
    for (const reader of readers) {
      const message = reader.got[0] as unknown as {
        sparse: unknown[]
        tagged: unknown[] & { label?: string }
      }
      expect(message.sparse).toHaveLength(3)
      expect(1 in message.sparse).toBe(false)
      expect(message.tagged.label).toBe('extra')
    }
  })
})

describe('InMemoryChannelLayer.groupSend: the group roster kept between sends', () => {
  it('follows members joining and leaving, and channels closing and opening, between sends', async () => {
    const a = recorder()
    const b = recorder()
    await layer.groupAdd('g', 'a')
    await layer.groupAdd('g', 'b')
    layer.receiveInto('a', a)
    layer.receiveInto('b', b)
    await layer.groupSend('g', { type: 'm.one' })
    expect([a.got.length, b.got.length]).toEqual([1, 1])
    // b leaves; a joins again (its membership refreshed: still one delivery).
    await layer.groupDiscard('g', 'b')
    await layer.groupAdd('g', 'a')
    layer.receiveInto('a', a)
    layer.receiveInto('b', b)
    await layer.groupSend('g', { type: 'm.two' })
    expect(a.got).toEqual([{ type: 'm.one' }, { type: 'm.two' }])
    expect(b.got).toEqual([{ type: 'm.one' }])
    // a's reader (not waiting: it was just handed m.two) goes away, which releases the
    // channel; then a new one reads it.
    expect(layer.cancelReceive('a', a)).toBe(false)
    expect(layer.channels.has('a')).toBe(false)
    const again = recorder()
    layer.receiveInto('a', again)
    await layer.groupSend('g', { type: 'm.three' })
    expect(again.got).toEqual([{ type: 'm.three' }])
    expect(a.got).toHaveLength(2)
    // A member with no reader gets it queued; a channel that joined since gets it too.
    await layer.groupAdd('g', 'c')
    await layer.groupSend('g', { type: 'm.four' })
    const c = recorder()
    layer.receiveInto('c', c)
    expect(c.got).toEqual([{ type: 'm.four' }])
    layer.receiveInto('a', again)
    expect(again.got).toEqual([{ type: 'm.three' }, { type: 'm.four' }])
  })

  it('follows a flush between sends', async () => {
    const a = recorder()
    await layer.groupAdd('g', 'a')
    layer.receiveInto('a', a)
    await layer.groupSend('g', { type: 'm.one' })
    await layer.flush()
    layer.receiveInto('a', a)
    await layer.groupSend('g', { type: 'm.two' })
    expect(a.got).toEqual([{ type: 'm.one' }])
    await layer.groupAdd('g', 'a')
    await layer.groupSend('g', { type: 'm.three' })
    expect(a.got).toEqual([{ type: 'm.one' }, { type: 'm.three' }])
  })
  it('offers a relay to a reader whose channel opened after the last send', async () => {
    await layer.groupAdd('g', 'late')
    await layer.groupSend('g', { type: 'm.one' })
    const offered: string[] = []
    const late = Object.assign(recorder(), {
      relay: (memo: RelayMemo) => {
        offered.push(String(memo.builtFor(table)?.type))
        return true
      },
    })
    // The queued message is handed over at once; the next send finds the reader waiting.
    layer.receiveInto('late', late)
    layer.receiveInto('late', late)
    await layer.groupSend('g', { type: 'm.two' })
    expect(late.got).toEqual([{ type: 'm.one' }])
    expect(offered).toEqual(['relayed'])
  })
})

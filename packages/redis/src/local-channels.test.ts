import { getEventListeners } from 'node:events'
import type { Message } from '@node-channels/core'
import { describe, expect, it } from 'vitest'
import { GroupDelivery } from './group-delivery.js'
import { LocalChannels, type LocalReceiver } from './local-channels.js'

function table(capacity = 3): { local: LocalChannels; overflowed: string[]; released: string[] } {
  const overflowed: string[] = []
  const released: string[] = []
  const local = new LocalChannels({
    capacity,
    idleMs: 60_000,
    keyOf: (channel) => channel.slice(0, channel.indexOf('!') + 1) || channel,
    onOverflow: (channel) => overflowed.push(channel),
    onRelease: (channel) => released.push(channel),
  })
  return { local, overflowed, released }
}

/** A receiver that records what it is handed. */
function recorder(): LocalReceiver & { messages: Message[]; failures: unknown[] } {
  const messages: Message[] = []
  const failures: unknown[] = []
  return {
    messages,
    failures,
    deliver: (message) => messages.push(message),
    fail: (reason) => failures.push(reason),
  }
}

const later = () => Date.now() + 60_000

describe('LocalChannels', () => {
  it('hands a message to the waiting receiver, or buffers it for the next one', async () => {
    const { local } = table()
    const waiting = local.take('p!a')
    expect(local.waitingOn('p!')).toBe(1)
    local.deliver('p!a', { type: 'one' }, later())
    expect(await waiting).toEqual({ type: 'one' })
    expect(local.waitingOn('p!')).toBe(0)
    local.deliver('p!a', { type: 'two' }, later())
    expect(await local.take('p!a')).toEqual({ type: 'two' })
  })

  it('listens once per abort signal however many receives wait on it, and rejects them all on abort', async () => {
    const { local } = table()
    const controller = new AbortController()
    const waits = ['p!a', 'p!b', 'p!c'].map((channel) => local.take(channel, controller.signal))
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1)
    expect(local.waitingOn('p!')).toBe(3)
    local.deliver('p!b', { type: 'for b' }, later())
    expect(await waits[1]).toEqual({ type: 'for b' })
    controller.abort(new Error('consumer ended'))
    await expect(waits[0]).rejects.toThrow('consumer ended')
    await expect(waits[2]).rejects.toThrow('consumer ended')
    expect(local.waitingOn('p!')).toBe(0)
    // The next message waits for the next receiver instead of going to an aborted one.
    local.deliver('p!a', { type: 'kept' }, later())
    expect(await local.take('p!a')).toEqual({ type: 'kept' })
    await expect(local.take('p!a', controller.signal)).rejects.toThrow('consumer ended')
  })

  it('removes the abort listener once the last receive on its signal is served', async () => {
    const { local } = table()
    const signal = AbortSignal.timeout(60_000)
    const first = local.take('p!a', signal)
    const second = local.take('p!b', signal)
    expect(getEventListeners(signal, 'abort')).toHaveLength(1)
    local.deliver('p!a', { type: 'one' }, later())
    expect(getEventListeners(signal, 'abort')).toHaveLength(1)
    local.deliver('p!b', { type: 'two' }, later())
    // A timeout signal with a listener is kept alive until it fires: nothing may stay attached.
    expect(getEventListeners(signal, 'abort')).toHaveLength(0)
    expect([await first, await second]).toEqual([{ type: 'one' }, { type: 'two' }])
    const third = local.take('p!a', signal)
    expect(getEventListeners(signal, 'abort')).toHaveLength(1)
    local.deliver('p!a', { type: 'three' }, later())
    expect(await third).toEqual({ type: 'three' })
    expect(getEventListeners(signal, 'abort')).toHaveLength(0)
  })

  it('takeInto hands a buffered message at once, a later one on arrival; cancel withdraws it', () => {
    const { local } = table()
    const receiver = recorder()
    local.deliver('p!a', { type: 'buffered' }, later())
    local.takeInto('p!a', receiver)
    expect(receiver.messages).toEqual([{ type: 'buffered' }])
    local.takeInto('p!a', receiver)
    expect(local.waitingOn('p!')).toBe(1)
    local.deliver('p!a', { type: 'arrived' }, later())
    expect(receiver.messages).toEqual([{ type: 'buffered' }, { type: 'arrived' }])
    local.takeInto('p!a', receiver)
    expect(local.cancel('p!a', receiver)).toBe(true)
    expect(local.cancel('p!a', receiver)).toBe(false)
    expect(local.cancel('p!unknown', receiver)).toBe(false)
    expect(local.waitingOn('p!')).toBe(0)
    local.deliver('p!a', { type: 'buffered again' }, later())
    expect(receiver.messages).toHaveLength(2)
  })

  it('fails every waiting receiver on rejectAll, promise or not', async () => {
    const { local } = table()
    const receiver = recorder()
    local.takeInto('p!a', receiver)
    const waiting = local.take('p!b', new AbortController().signal)
    const reason = new Error('closed')
    local.rejectAll(reason)
    expect(receiver.failures).toEqual([reason])
    await expect(waiting).rejects.toBe(reason)
    expect(local.waitingOn('p!')).toBe(0)
  })

  it('drops messages past capacity and expired ones, reporting the overflow once', async () => {
    const { local, overflowed } = table(2)
    local.deliver('p!a', { type: 'expired' }, Date.now() - 1)
    local.deliver('p!a', { type: 'kept' }, later())
    local.deliver('p!a', { type: 'dropped' }, later())
    local.deliver('p!a', { type: 'dropped too' }, later())
    expect(overflowed).toEqual(['p!a'])
    expect(await local.take('p!a')).toEqual({ type: 'kept' })
    const receiver = recorder()
    local.takeInto('p!a', receiver)
    expect(receiver.messages).toEqual([])
  })

  it('delivers a group message: a relaying receiver keeps waiting, every other member gets its own copy', () => {
    const { local } = table()
    const group = new GroupDelivery({ type: 'chat.message', tags: ['x'] })
    let offers = 0
    const relaying = Object.assign(recorder(), {
      relay: () => {
        offers += 1
        return true
      },
    })
    const declining = Object.assign(recorder(), { relay: () => false })
    const plain = recorder()
    local.takeInto('p!relaying', relaying)
    local.takeInto('p!declining', declining)
    local.takeInto('p!plain', plain)
    local.open('p!buffered')
    const now = Date.now()
    for (const channel of ['p!relaying', 'p!declining', 'p!plain', 'p!buffered']) {
      expect(local.deliverToMember(channel, group, later(), now, true)).toBe(true)
    }
    // Only known channels, with onlyKnown: nothing is made for a stranger.
    expect(local.deliverToMember('p!stranger', group, later(), now, true)).toBe(false)
    expect(local.has('p!stranger')).toBe(false)
    expect(offers).toBe(1)
    expect(relaying.messages).toEqual([])
    expect(local.waitingOn('p!')).toBe(1)
    expect(declining.messages).toEqual([{ type: 'chat.message', tags: ['x'] }])
    expect(plain.messages).toEqual([{ type: 'chat.message', tags: ['x'] }])
    expect(plain.messages[0]?.tags).not.toBe(declining.messages[0]?.tags)
    const buffered = recorder()
    local.takeInto('p!buffered', buffered)
    expect(buffered.messages).toEqual([{ type: 'chat.message', tags: ['x'] }])
    // Without onlyKnown, an unknown member channel is opened and buffers its copy.
    expect(local.deliverToMember('p!new', group, later(), now, false)).toBe(true)
    const fresh = recorder()
    local.takeInto('p!new', fresh)
    expect(fresh.messages).toEqual([{ type: 'chat.message', tags: ['x'] }])
  })
})

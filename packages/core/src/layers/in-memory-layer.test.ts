import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ChannelFull } from '../errors.js'
import type { Message } from '../types.js'
import { InMemoryChannelLayer } from './in-memory-layer.js'

// A port of Channels' tests/test_inmemorychannel.py. Its fixture is
// `InMemoryChannelLayer(capacity=3)`, flushed and closed after each test. Expiry is driven by
// a fake clock (only `Date` is faked), so nothing sleeps; the contract suite covers real time.

let layer: InMemoryChannelLayer

beforeEach(() => {
  layer = new InMemoryChannelLayer({ capacity: 3 })
})

afterEach(async () => {
  vi.useRealTimers()
  await layer.flush()
  await layer.close()
})

/** Receives with Channels' test timeout of 1 s, failing instead of hanging. */
function receive(channel: string, timeoutMs = 1000): Promise<Message> {
  return layer.receive(channel, { signal: AbortSignal.timeout(timeoutMs) })
}

/** Resolves to the TimeoutError when nothing arrives (Channels asserts `asyncio.TimeoutError`). */
async function receiveTimesOut(channel: string, timeoutMs = 50): Promise<unknown> {
  const error = await receive(channel, timeoutMs).then(
    (message) => new Error(`Unexpected message ${JSON.stringify(message)}`),
    (reason: unknown) => reason,
  )
  expect(error).toBeInstanceOf(DOMException)
  expect((error as DOMException).name).toBe('TimeoutError')
  return error
}

/** Replaces the fixture with one whose messages expire after `expiryMs` on a fake clock. */
async function withExpiry(expiryMs: number): Promise<void> {
  await layer.close()
  vi.useFakeTimers({ toFake: ['Date'] })
  layer = new InMemoryChannelLayer({ capacity: 3, expiryMs })
}

/** Moves the fake clock forward. */
function advance(ms: number): void {
  vi.setSystemTime(Date.now() + ms)
}

describe('InMemoryChannelLayer (test_inmemorychannel.py)', () => {
  it('send_receive: keeps the channel while it holds messages and removes it when empty', async () => {
    await layer.send('test-channel-1', { type: 'test.message', text: 'Ahoy-hoy!' })
    await layer.send('test-channel-1', { type: 'test.message', text: 'Ahoy-hoy!' })
    const message = await receive('test-channel-1')
    expect(message.type).toBe('test.message')
    expect(message.text).toBe('Ahoy-hoy!')
    // Not removed, because it is not empty.
    expect(layer.channels.get('test-channel-1')).toEqual({ size: 1 })
    expect(await receive('test-channel-1')).toEqual({ type: 'test.message', text: 'Ahoy-hoy!' })
    // Removed, because it is empty.
    expect(layer.channels.has('test-channel-1')).toBe(false)
  })

  it('race_empty: a waiting receive still gets a message whose channel was wiped', async () => {
    const pending = receive('test-channel-1')
    expect(layer.channels.has('test-channel-1')).toBe(true)
    await layer.send('test-channel-1', { type: 'test.message', text: 'Ahoy-hoy!' })
    // Channels deletes the dict entry here; flush() is this layer's way to wipe its table.
    await layer.flush()
    expect(await pending).toEqual({ type: 'test.message', text: 'Ahoy-hoy!' })
    expect(layer.channels.size).toBe(0)
  })

  it('send_capacity: the fourth send to a channel of capacity 3 throws ChannelFull', async () => {
    for (let index = 0; index < 3; index++) {
      await layer.send('test-channel-1', { type: 'test.message' })
    }
    const error = await layer.send('test-channel-1', { type: 'test.message' }).catch((e) => e)
    expect(error).toBeInstanceOf(ChannelFull)
    expect(error).toMatchObject({
      name: 'ChannelFull',
      channel: 'test-channel-1',
      message: 'Channel "test-channel-1" is over capacity',
    })
    expect(layer.channels.get('test-channel-1')).toEqual({ size: 3 })
  })

  it('process_local_send_receive: a newChannel() name is sent to and received from', async () => {
    const channel = await layer.newChannel()
    expect(channel).toMatch(/^specific\.\.inmemory![A-Za-z]{12}$/)
    await layer.send(channel, { type: 'test.message', text: 'Local only please' })
    expect(await receive(channel)).toEqual({ type: 'test.message', text: 'Local only please' })
    expect(layer.channels.size).toBe(0)
  })

  it('multi_send_receive: messages come out in the order they went in', async () => {
    await layer.send('test-channel-3', { type: 'message.1' })
    await layer.send('test-channel-3', { type: 'message.2' })
    await layer.send('test-channel-3', { type: 'message.3' })
    expect((await receive('test-channel-3')).type).toBe('message.1')
    expect((await receive('test-channel-3')).type).toBe('message.2')
    expect((await receive('test-channel-3')).type).toBe('message.3')
  })

  it('groups_basic: a discarded member gets nothing, the others get the message', async () => {
    await layer.groupAdd('test-group', 'test-gr-chan-1')
    await layer.groupAdd('test-group', 'test-gr-chan-2')
    await layer.groupAdd('test-group', 'test-gr-chan-3')
    await layer.groupDiscard('test-group', 'test-gr-chan-2')
    await layer.groupSend('test-group', { type: 'message.1' })
    expect((await receive('test-gr-chan-1')).type).toBe('message.1')
    expect((await receive('test-gr-chan-3')).type).toBe('message.1')
    await receiveTimesOut('test-gr-chan-2')
    expect(layer.groups.get('test-group')).toEqual(['test-gr-chan-1', 'test-gr-chan-3'])
  })

  it('groups_channel_full: five group sends to a member of capacity 3 raise nothing', async () => {
    await layer.groupAdd('test-group', 'test-gr-chan-1')
    for (let index = 0; index < 5; index++) {
      await expect(layer.groupSend('test-group', { type: 'message.1' })).resolves.toBeUndefined()
    }
    // The member holds what fits; the rest were dropped.
    expect(layer.channels.get('test-gr-chan-1')).toEqual({ size: 3 })
  })

  it('expiry_single: an expired message is never received and its channel is removed', async () => {
    await withExpiry(100)
    await layer.send('test-channel-1', { type: 'message.1' })
    expect(layer.channels.size).toBe(1)
    advance(101)
    await receiveTimesOut('test-channel-1')
    expect(layer.channels.size).toBe(0)
  })

  it('expiry_unread: an unread expired message is cleaned when another channel is used', async () => {
    await withExpiry(100)
    await layer.send('test-channel-1', { type: 'message.1' })
    advance(101)
    await layer.send('test-channel-2', { type: 'message.2' })
    expect((await receive('test-channel-2')).type).toBe('message.2')
    expect(layer.channels.size).toBe(0)
  })

  it('expiry_multi: only the expired messages of a channel are dropped', async () => {
    await withExpiry(100)
    await layer.send('test-channel-1', { type: 'message.1' })
    await layer.send('test-channel-1', { type: 'message.2' })
    await layer.send('test-channel-1', { type: 'message.3' })
    expect((await receive('test-channel-1')).type).toBe('message.1')
    advance(101)
    await layer.send('test-channel-1', { type: 'message.4' })
    expect((await receive('test-channel-1')).type).toBe('message.4')
    await receiveTimesOut('test-channel-1')
    expect(layer.channels.size).toBe(0)
  })
})

describe('InMemoryChannelLayer (test_layers.py)', () => {
  it('send_receive: a default layer delivers an equal message on "test.channel"', async () => {
    const defaults = new InMemoryChannelLayer()
    const message = { type: 'test.message', text: 'Ahoy-hoy!' }
    await defaults.send('test.channel', message)
    const received = await defaults.receive('test.channel')
    expect(received).toEqual(message)
    expect(received).not.toBe(message)
    await defaults.close()
  })

  it('newChannel: "specific..inmemory!" (double dot, as Channels) plus 12 random letters', async () => {
    const names = new Set<string>()
    // 1,000 names draw on the random pool three times over: every one is still distinct.
    for (let index = 0; index < 1000; index++) {
      const name = await layer.newChannel()
      expect(name).toMatch(/^specific\.\.inmemory![A-Za-z]{12}$/)
      expect(name).toHaveLength(31)
      names.add(name)
    }
    expect(names.size).toBe(1000)
    expect(await layer.newChannel('foo')).toMatch(/^foo\.inmemory![A-Za-z]{12}$/)
  })

  it('newChannel: a prefix that makes an invalid name is refused with the name rule', async () => {
    await expect(layer.newChannel('bad prefix')).rejects.toThrow(
      /^Channel name must be a valid unicode string with length < 100 containing only ASCII alphanumerics, hyphens, underscores, or periods, not "bad prefix\.inmemory![A-Za-z]{12}"\.$/,
    )
  })

  it('extensions: groups and flush, as Channels', () => {
    expect(layer.extensions).toEqual(['groups', 'flush'])
  })
})

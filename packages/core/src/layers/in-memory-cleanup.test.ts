import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { InvalidChannelLayerError } from '../errors.js'
import { InMemoryChannelLayer } from './in-memory-layer.js'

// What the in-memory layer must never leak (Channels #933, #1574): idle channels, expired
// memberships, empty groups, and receivers left hanging by close(). Time is a fake `Date`.

const EXPIRY_MS = 1000
const GROUP_EXPIRY_MS = 5000

let layer: InMemoryChannelLayer

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] })
  layer = new InMemoryChannelLayer({ expiryMs: EXPIRY_MS, groupExpiryMs: GROUP_EXPIRY_MS })
})

afterEach(async () => {
  vi.useRealTimers()
  await layer.flush()
  await layer.close()
})

function advance(ms: number): void {
  vi.setSystemTime(Date.now() + ms)
}

describe('idle channels', () => {
  it('are released when a waiting receive is aborted', async () => {
    const controller = new AbortController()
    const pending = layer.receive('test-channel', { signal: controller.signal })
    // As in Channels, the waiting receive is what keeps the channel in the table.
    expect([...layer.channels.keys()]).toEqual(['test-channel'])
    controller.abort(new Error('consumer stopped'))
    await expect(pending).rejects.toThrow('consumer stopped')
    expect(layer.channels.size).toBe(0)
  })

  it('are never created by a receive whose signal was already aborted', async () => {
    await expect(
      layer.receive('test-channel', { signal: AbortSignal.abort(new Error('gone')) }),
    ).rejects.toThrow('gone')
    expect(layer.channels.size).toBe(0)
  })

  it('stay while another receiver still waits on them', async () => {
    const controller = new AbortController()
    const aborted = layer.receive('test-channel', { signal: controller.signal })
    const waiting = layer.receive('test-channel')
    controller.abort(new Error('first gone'))
    await expect(aborted).rejects.toThrow('first gone')
    expect([...layer.channels.keys()]).toEqual(['test-channel'])
    await layer.send('test-channel', { type: 'test.message' })
    expect(await waiting).toEqual({ type: 'test.message' })
    expect(layer.channels.size).toBe(0)
  })

  it('do not pile up over 1,000 aborted receives on distinct channels', async () => {
    for (let index = 0; index < 1000; index++) {
      const controller = new AbortController()
      const pending = layer.receive(`churn.${index}`, { signal: controller.signal })
      controller.abort(new Error('churn'))
      await expect(pending).rejects.toThrow('churn')
    }
    expect(layer.channels.size).toBe(0)
  })

  it('are removed once their last message expires, even if nobody reads them', async () => {
    await layer.send('abandoned', { type: 'test.message' })
    advance(EXPIRY_MS + 1)
    // Any later use of the layer cleans up.
    await layer.send('busy', { type: 'test.message' })
    expect([...layer.channels.keys()]).toEqual(['busy'])
  })
})

describe('expiry boundaries', () => {
  it('keeps a message at exactly its expiry and drops it one millisecond later', async () => {
    await layer.send('test-channel', { type: 'message.1' })
    await layer.send('test-channel', { type: 'message.2' })
    advance(EXPIRY_MS)
    expect(await layer.receive('test-channel')).toEqual({ type: 'message.1' })
    advance(1)
    await layer.groupSend('any-group', { type: 'clean.up' })
    expect(layer.channels.size).toBe(0)
  })

  it('keeps a membership at exactly the group expiry and drops it one millisecond later', async () => {
    await layer.groupAdd('test-group', 'member')
    advance(GROUP_EXPIRY_MS)
    await layer.groupSend('test-group', { type: 'message.1' })
    expect(layer.channels.get('member')).toEqual({ size: 1 })
    advance(1)
    await layer.groupSend('test-group', { type: 'message.2' })
    expect(layer.channels.get('member')).toEqual({ size: 1 })
    expect(layer.groups.has('test-group')).toBe(false)
  })

  it('counts the group expiry from the latest groupAdd()', async () => {
    await layer.groupAdd('test-group', 'member')
    advance(GROUP_EXPIRY_MS * 0.6)
    await layer.groupAdd('test-group', 'member')
    advance(GROUP_EXPIRY_MS * 0.6)
    // 1.2 × the expiry after the first add, 0.6 × after the second: still a member.
    await layer.groupSend('test-group', { type: 'message.1' })
    expect(await layer.receive('member')).toEqual({ type: 'message.1' })
    advance(GROUP_EXPIRY_MS * 0.5)
    await layer.groupSend('test-group', { type: 'message.2' })
    expect(layer.channels.has('member')).toBe(false)
    expect(layer.groups.size).toBe(0)
  })
})

describe('group membership', () => {
  it('is dropped in every group when one of the channel messages expires unread', async () => {
    await layer.groupAdd('room-1', 'slow')
    await layer.groupAdd('room-2', 'slow')
    await layer.groupAdd('room-2', 'fast')
    await layer.send('slow', { type: 'direct.message' })
    advance(EXPIRY_MS + 1)
    // The spec: "drop membership after a message expires". This send cleans first.
    await layer.groupSend('room-2', { type: 'group.message' })
    expect(layer.groups.get('room-2')).toEqual(['fast'])
    expect(layer.groups.has('room-1')).toBe(false)
    expect(layer.channels.has('slow')).toBe(false)
    expect(await layer.receive('fast')).toEqual({ type: 'group.message' })
  })

  it('removes a group when its last member is discarded', async () => {
    await layer.groupAdd('test-group', 'one')
    await layer.groupAdd('test-group', 'two')
    await layer.groupDiscard('test-group', 'one')
    expect(layer.groups.get('test-group')).toEqual(['two'])
    await layer.groupDiscard('test-group', 'two')
    expect(layer.groups.size).toBe(0)
  })

  it('removes a group emptied by group expiry (Channels keeps it as {})', async () => {
    await layer.groupAdd('test-group', 'one')
    advance(GROUP_EXPIRY_MS + 1)
    await layer.groupSend('another-group', { type: 'clean.up' })
    expect(layer.groups.size).toBe(0)
  })

  it('lists members oldest first, a re-added member moving to the end', async () => {
    await layer.groupAdd('test-group', 'one')
    await layer.groupAdd('test-group', 'two')
    await layer.groupAdd('test-group', 'one')
    expect(layer.groups.get('test-group')).toEqual(['two', 'one'])
  })

  it('is forgotten by flush(), which keeps waiting receivers but no queued messages', async () => {
    await layer.groupAdd('test-group', 'one')
    await layer.send('queued', { type: 'test.message' })
    const waiting = layer.receive('waiting')
    await layer.flush()
    expect(layer.groups.size).toBe(0)
    expect([...layer.channels.keys()]).toEqual(['waiting'])
    await layer.send('waiting', { type: 'after.flush' })
    expect(await waiting).toEqual({ type: 'after.flush' })
  })
})

describe('close()', () => {
  const closed = 'The channel layer was closed.'

  it('rejects every waiting receiver with InvalidChannelLayerError', async () => {
    const first = layer.receive('one')
    const second = layer.receive('two')
    await layer.close()
    await expect(first).rejects.toThrow(new InvalidChannelLayerError(closed))
    await expect(second).rejects.toBeInstanceOf(InvalidChannelLayerError)
    expect(layer.channels.size).toBe(0)
  })

  it('makes every later call fail with InvalidChannelLayerError', async () => {
    await layer.groupAdd('test-group', 'one')
    await layer.close()
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['send', () => layer.send('one', { type: 'test.message' })],
      ['receive', () => layer.receive('one')],
      ['newChannel', () => layer.newChannel()],
      ['groupAdd', () => layer.groupAdd('test-group', 'one')],
      ['groupDiscard', () => layer.groupDiscard('test-group', 'one')],
      ['groupSend', () => layer.groupSend('test-group', { type: 'test.message' })],
    ]
    for (const [name, call] of calls) {
      const error = await call().catch((e: unknown) => e)
      expect(error, name).toBeInstanceOf(InvalidChannelLayerError)
      expect((error as Error).message, name).toBe(closed)
    }
    expect(layer.groups.size).toBe(0)
  })

  it('can be called again, and flush() after it is harmless', async () => {
    await layer.close()
    await expect(layer.close()).resolves.toBeUndefined()
    await expect(layer.flush()).resolves.toBeUndefined()
    await expect(layer.send('one', { type: 'test.message' })).rejects.toThrow(closed)
  })
})

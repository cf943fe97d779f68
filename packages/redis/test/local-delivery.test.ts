import { InvalidChannelLayerError, type Message } from '@node-channels/core'
import { describe, expect, it } from 'vitest'
import type { LocalReceiver } from '../src/local-channels.js'
import { RedisPubSubChannelLayer } from '../src/pubsub-layer.js'
import { RedisChannelLayer } from '../src/redis-channel-layer.js'
import { fileInspector, layerForTest, redisAvailable } from './redis-helpers.js'

const redis = fileInspector()

type Layer = RedisChannelLayer | RedisPubSubChannelLayer

const layers: Array<[string, () => Layer]> = [
  ['RedisChannelLayer', () => layerForTest(redis, RedisChannelLayer, 'shared')],
  ['RedisPubSubChannelLayer', () => layerForTest(redis, RedisPubSubChannelLayer, 'shared')],
]

/** A receiver that settles a promise with the first thing it is handed. */
function once(): LocalReceiver & { result: Promise<Message> } {
  let deliver: (message: Message) => void = () => {}
  let fail: (reason: unknown) => void = () => {}
  const result = new Promise<Message>((resolve, reject) => {
    deliver = resolve
    fail = reject
  })
  // Failures are asserted later, after the call that causes them has returned.
  result.catch(() => {})
  return { result, deliver: (message) => deliver(message), fail: (reason) => fail(reason) }
}

const timeout = (ms = 2000) => ({ signal: AbortSignal.timeout(ms) })

describe.skipIf(!redisAvailable).each(layers)('%s on Redis', (_name, makeLayer) => {
  it("gives each of a group's local members its own copy", async () => {
    const layer = makeLayer()
    const members = [await layer.newChannel(), await layer.newChannel(), await layer.newChannel()]
    for (const member of members) await layer.groupAdd('room', member)
    await layer.groupSend('room', { type: 'chat.message', payload: { items: ['a'] } })
    const received = (await Promise.all(
      members.map((member) => layer.receive(member, timeout())),
    )) as Array<{ type: string; payload: { items: string[] } }>
    const [first, second, third] = received
    expect(first).toEqual({ type: 'chat.message', payload: { items: ['a'] } })
    expect(second).toEqual(first)
    expect(third).toEqual(first)
    expect(second?.payload).not.toBe(first?.payload)
    expect(third?.payload).not.toBe(second?.payload)
    // Receivers may change what they receive, without touching the others' copies.
    first?.payload.items.push('changed')
    expect(second?.payload.items).toEqual(['a'])
  })

  it('gives each member its own copy of binary data', async () => {
    const layer = makeLayer()
    const members = [await layer.newChannel(), await layer.newChannel()]
    for (const member of members) await layer.groupAdd('room', member)
    await layer.groupSend('room', { type: 'file.chunk', data: new Uint8Array([1, 2, 3]) })
    const [first, second] = (await Promise.all(
      members.map((member) => layer.receive(member, timeout())),
    )) as Array<{ type: string; data: Uint8Array }>
    expect(first).toEqual({ type: 'file.chunk', data: new Uint8Array([1, 2, 3]) })
    expect(second).toEqual(first)
    expect(second?.data).not.toBe(first?.data)
    if (first) first.data[0] = 9
    expect(second?.data[0]).toBe(1)
  })

  it('receiveInto hands messages to a long-lived receiver; cancelReceive withdraws it', async () => {
    const layer = makeLayer()
    const channel = await layer.newChannel()
    const first = once()
    layer.receiveInto(channel, first)
    await layer.send(channel, { type: 'first' })
    expect(await first.result).toEqual({ type: 'first' })
    const withdrawn = once()
    layer.receiveInto(channel, withdrawn)
    expect(layer.cancelReceive(channel, withdrawn)).toBe(true)
    expect(layer.cancelReceive(channel, withdrawn)).toBe(false)
    await layer.send(channel, { type: 'second' })
    // Not handed to the withdrawn receiver: still there for the next one.
    expect(await layer.receive(channel, timeout())).toEqual({ type: 'second' })
  })

  it('receiveInto reports a bad name and a closed layer through fail()', async () => {
    const layer = makeLayer()
    const bad = once()
    layer.receiveInto('bad name', bad)
    await expect(bad.result).rejects.toThrow(
      'Channel name must be a valid unicode string with length < 100 containing only ASCII alphanumerics, hyphens, underscores, or periods, not "bad name".',
    )
    const channel = await layer.newChannel()
    const waiting = once()
    layer.receiveInto(channel, waiting)
    await layer.close()
    await expect(waiting.result).rejects.toThrow(InvalidChannelLayerError)
    const late = once()
    layer.receiveInto(channel, late)
    await expect(late.result).rejects.toThrow('The channel layer was closed.')
  })
})

describe.skipIf(!redisAvailable)('RedisChannelLayer.receiveInto', () => {
  it('restarts the receive loop it stopped when nobody was waiting', async () => {
    const layer = layers[0]?.[1]() as RedisChannelLayer
    const channel = await layer.newChannel()
    for (let round = 0; round < 3; round++) {
      const receiver = once()
      layer.receiveInto(channel, receiver)
      await layer.send(channel, { type: 'round', round })
      expect(await receiver.result).toEqual({ type: 'round', round })
      // Nobody waits now: the loop stops after its pop, and the next receiver must start it again.
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  })

  it("refuses another process's channel through fail()", async () => {
    const layer = layers[0]?.[1]() as RedisChannelLayer
    const receiver = once()
    layer.receiveInto('specific.someoneelse!abc', receiver)
    await expect(receiver.result).rejects.toThrow(
      `Channel "specific.someoneelse!abc" belongs to another process: only channels from this layer's newChannel() can be received from here.`,
    )
  })
})

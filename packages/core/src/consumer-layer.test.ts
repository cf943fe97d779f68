import { afterEach, describe, expect, it } from 'vitest'
import type { ChannelLayer } from './channel-layer.js'
import { ConsumerChannelLayer } from './consumer-layer.js'
import { InMemoryChannelLayer } from './layers/in-memory-layer.js'

const layers: ChannelLayer[] = []
afterEach(async () => {
  await Promise.all(layers.splice(0).map((layer) => layer.close()))
})

function memory(): InMemoryChannelLayer {
  const layer = new InMemoryChannelLayer()
  layers.push(layer)
  return layer
}

describe('ConsumerChannelLayer', () => {
  it('delegates to the layer and remembers only its own channel’s groups', async () => {
    const layer = memory()
    const handle = new ConsumerChannelLayer(layer, 'specific..inmemory!own')
    expect(handle.extensions).toEqual(['groups', 'flush'])
    await handle.groupAdd('mine', 'specific..inmemory!own')
    await handle.groupAdd('theirs', 'specific..inmemory!other')
    await handle.groupAdd('left', 'specific..inmemory!own')
    await handle.groupDiscard('left', 'specific..inmemory!own')
    expect(handle.groups).toEqual(['mine'])
    expect(layer.groups.get('theirs')).toEqual(['specific..inmemory!other'])
    await handle.groupSend('mine', { type: 'hello.there' })
    expect(await handle.receive('specific..inmemory!own')).toEqual({ type: 'hello.there' })
  })

  it('leaveAll() discards its groups, leaves other channels alone and refuses later joins', async () => {
    const layer = memory()
    const handle = new ConsumerChannelLayer(layer, 'specific..inmemory!own')
    await handle.groupAdd('a', 'specific..inmemory!own')
    await handle.groupAdd('b', 'specific..inmemory!own')
    await handle.groupAdd('b', 'specific..inmemory!other')
    await handle.leaveAll()
    expect(handle.groups).toEqual([])
    expect([...layer.groups]).toEqual([['b', ['specific..inmemory!other']]])
    await expect(handle.groupAdd('c', 'specific..inmemory!own')).rejects.toThrow(
      'Cannot add channel "specific..inmemory!own" to group "c": its consumer has ended.',
    )
    await handle.groupAdd('c', 'specific..inmemory!other')
    expect(layer.groups.get('c')).toEqual(['specific..inmemory!other'])
  })

  it('leaveAll() tries every group and then throws the first failure', async () => {
    const layer = memory()
    const discarded: string[] = []
    const failing: ChannelLayer = Object.assign(Object.create(layer) as ChannelLayer, {
      extensions: layer.extensions,
      groupAdd: (group: string, channel: string) => layer.groupAdd(group, channel),
      groupDiscard: async (group: string) => {
        discarded.push(group)
        if (group === 'x') throw new Error('discard x failed')
      },
    })
    const handle = new ConsumerChannelLayer(failing, 'specific..inmemory!own')
    await handle.groupAdd('x', 'specific..inmemory!own')
    await handle.groupAdd('y', 'specific..inmemory!own')
    await expect(handle.leaveAll()).rejects.toThrow('discard x failed')
    expect(discarded).toEqual(['x', 'y'])
  })
})

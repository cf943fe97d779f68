import { afterEach, describe, expect, it } from 'vitest'
import type { ChannelLayer } from '../channel-layer.js'
import { InvalidChannelLayerError } from '../errors.js'
import { InMemoryChannelLayer } from './in-memory-layer.js'
import { getChannelLayer, resetChannelLayers, setChannelLayer } from './registry.js'

// Replaces Channels' CHANNEL_LAYERS setting and ChannelLayerManager (test_layers.py's
// TestChannelLayerManager): layers are configured in code, and resetChannelLayers() is the
// hook Channels gets from override_settings.

afterEach(async () => {
  await resetChannelLayers()
})

describe('getChannelLayer', () => {
  it('gives an InMemoryChannelLayer for the default alias when nothing is configured', async () => {
    const layer = getChannelLayer()
    expect(layer).toBeInstanceOf(InMemoryChannelLayer)
    expect(getChannelLayer('default')).toBe(layer)
    // Groups work with zero set-up.
    await layer?.groupAdd('room', 'member')
    await layer?.groupSend('room', { type: 'chat.message' })
    expect(await layer?.receive('member')).toEqual({ type: 'chat.message' })
  })

  it('gives null for an alias that is not configured', () => {
    expect(getChannelLayer('analytics')).toBeNull()
  })
})

describe('setChannelLayer', () => {
  it('configures the default alias and other aliases', () => {
    const main = new InMemoryChannelLayer({ capacity: 5 })
    const other = new InMemoryChannelLayer({ expiryMs: 100_500 })
    setChannelLayer(main)
    setChannelLayer(other, 'other')
    expect(getChannelLayer()).toBe(main)
    expect(getChannelLayer('other')).toBe(other)
    expect((getChannelLayer('other') as InMemoryChannelLayer).expiryMs).toBe(100_500)
  })

  it('with null runs consumers with no layer at all, even for the default alias', () => {
    setChannelLayer(null)
    expect(getChannelLayer()).toBeNull()
  })

  it('accepts any object with every layer method', () => {
    const custom: ChannelLayer = {
      extensions: [],
      send: async () => {},
      receive: async () => ({ type: 'x.y' }),
      newChannel: async () => 'a!b',
      groupAdd: async () => {},
      groupDiscard: async () => {},
      groupSend: async () => {},
      flush: async () => {},
      close: async () => {},
    }
    setChannelLayer(custom, 'custom')
    expect(getChannelLayer('custom')).toBe(custom)
  })

  it('refuses an object lacking layer methods with InvalidChannelLayerError', () => {
    const partial = { send: async () => {}, flush: async () => {} }
    expect(() => setChannelLayer(partial as unknown as ChannelLayer, 'broken')).toThrow(
      new InvalidChannelLayerError(
        'The channel layer for alias "broken" lacks receive, newChannel, groupAdd, groupDiscard, groupSend, close.',
      ),
    )
    expect(getChannelLayer('broken')).toBeNull()
  })

  it.each<[string, unknown, string]>([
    ['undefined', undefined, 'undefined'],
    ['a URL string', 'redis://127.0.0.1:6379', '"redis://127.0.0.1:6379"'],
    ['a number', 5, '5'],
  ])('refuses %s with InvalidChannelLayerError', (_label, value, quoted) => {
    expect(() => setChannelLayer(value as ChannelLayer)).toThrow(
      new InvalidChannelLayerError(
        `The channel layer for alias "default" must be an object or null, not ${quoted}.`,
      ),
    )
  })

  it.each<[unknown, string]>([
    ['', '""'],
    [7, '7'],
  ])('refuses the alias %j with a TypeError', (alias, quoted) => {
    expect(() => setChannelLayer(null, alias as string)).toThrow(
      new TypeError(`A channel layer alias must be a non-empty string, not ${quoted}.`),
    )
  })
})

describe('resetChannelLayers', () => {
  it('closes the configured layers and starts afresh (test_override_settings)', async () => {
    const configured = new InMemoryChannelLayer()
    setChannelLayer(configured, 'other')
    const defaultLayer = getChannelLayer() as InMemoryChannelLayer
    const waiting = defaultLayer.receive('consumer.channel')
    await resetChannelLayers()
    await expect(waiting).rejects.toBeInstanceOf(InvalidChannelLayerError)
    await expect(configured.send('a', { type: 'x.y' })).rejects.toThrow(
      'The channel layer was closed.',
    )
    expect(getChannelLayer('other')).toBeNull()
    const fresh = getChannelLayer()
    expect(fresh).toBeInstanceOf(InMemoryChannelLayer)
    expect(fresh).not.toBe(defaultLayer)
  })

  it('closes a layer configured under two aliases once and skips null aliases', async () => {
    let closes = 0
    const layer = new InMemoryChannelLayer()
    const close = layer.close.bind(layer)
    layer.close = async () => {
      closes++
      await close()
    }
    setChannelLayer(layer, 'one')
    setChannelLayer(layer, 'two')
    setChannelLayer(null, 'none')
    await resetChannelLayers()
    expect(closes).toBe(1)
    expect(getChannelLayer('none')).toBeNull()
  })
})

import type { ChannelLayer } from '../channel-layer.js'
import { InvalidChannelLayerError } from '../errors.js'
import { InMemoryChannelLayer } from './in-memory-layer.js'

const DEFAULT_ALIAS = 'default'
const LAYER_METHODS = [
  'send',
  'receive',
  'newChannel',
  'groupAdd',
  'groupDiscard',
  'groupSend',
  'flush',
  'close',
] as const

/** Configured layers by alias; `null` means "explicitly no layer". */
const layers = new Map<string, ChannelLayer | null>()

/**
 * Returns the channel layer configured under `alias`, or `null`. With nothing configured, the
 * default alias is an `InMemoryChannelLayer`, so groups work with zero set-up.
 * Mirrors `channels.layers.get_channel_layer`.
 */
export function getChannelLayer(alias: string = DEFAULT_ALIAS): ChannelLayer | null {
  const configured = layers.get(alias)
  if (configured !== undefined) return configured
  if (alias !== DEFAULT_ALIAS) return null
  const layer = new InMemoryChannelLayer()
  layers.set(alias, layer)
  return layer
}

/**
 * Configures the layer for `alias` (`null` runs consumers with no layer at all).
 * Replaces Channels' `CHANNEL_LAYERS` setting; a replaced layer is not closed.
 */
export function setChannelLayer(layer: ChannelLayer | null, alias: string = DEFAULT_ALIAS): void {
  if (typeof alias !== 'string' || alias.length === 0) {
    throw new TypeError(
      `A channel layer alias must be a non-empty string, not ${JSON.stringify(alias)}.`,
    )
  }
  if (layer !== null) {
    if (typeof layer !== 'object' && typeof layer !== 'function') {
      throw new InvalidChannelLayerError(
        `The channel layer for alias ${JSON.stringify(alias)} must be an object or null, not ${JSON.stringify(layer) ?? String(layer)}.`,
      )
    }
    const missing = LAYER_METHODS.filter(
      (method) => typeof (layer as unknown as Record<string, unknown>)[method] !== 'function',
    )
    if (missing.length > 0) {
      throw new InvalidChannelLayerError(
        `The channel layer for alias ${JSON.stringify(alias)} lacks ${missing.join(', ')}.`,
      )
    }
  }
  layers.set(alias, layer)
}

/**
 * Closes every configured layer and forgets them, so the next `getChannelLayer()` starts afresh.
 * The protocol server calls it on shutdown; tests call it between cases (Channels resets its
 * layer cache when settings change).
 */
export async function resetChannelLayers(): Promise<void> {
  const open = [...new Set(layers.values())].filter((layer) => layer !== null)
  layers.clear()
  await Promise.all(open.map((layer) => layer.close()))
}

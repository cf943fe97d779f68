import type { ChannelLayer } from '@node-channels/core'
import type { RedisLayerLogger } from './logger.js'
import type { RedisChannelLayerOptions } from './options.js'
import { RedisPubSubChannelLayer } from './pubsub-layer.js'
import { RedisChannelLayer } from './redis-channel-layer.js'

/** Options that cannot be written in a URL. */
export interface ChannelLayerFromUrlOptions {
  logger?: RedisLayerLogger
}

const INTEGER_PARAMS = [
  'capacity',
  'expiryMs',
  'groupExpiryMs',
  'maxMessageBytes',
  'connectTimeoutMs',
  'commandTimeoutMs',
  'randomPrefixLength',
] as const
const CORE_ONLY = new Set(['groupExpiryMs', 'randomPrefixLength'])
const KNOWN = new Set<string>([
  'layer',
  'prefix',
  'symmetricEncryptionKeys',
  'db',
  ...INTEGER_PARAMS,
])

/**
 * Builds a Redis channel layer from one URL, for a CLI flag or an environment variable:
 * `redis://[:password@]host[:port][/db]` (or `rediss://` for TLS) selects `RedisChannelLayer`;
 * `?layer=pubsub` selects `RedisPubSubChannelLayer`. Other query parameters are the layer's
 * options by name: `prefix`, `capacity`, `expiryMs`, `groupExpiryMs`, `maxMessageBytes`,
 * `connectTimeoutMs`, `commandTimeoutMs`, `randomPrefixLength` and `symmetricEncryptionKeys`
 * (repeat it for several keys, first one encrypts). Throws TypeError for anything else.
 *
 * @example
 * setChannelLayer(channelLayerFromUrl(process.env.CHANNEL_LAYER_URL ?? 'redis://127.0.0.1:6379'))
 */
export function channelLayerFromUrl(
  url: string,
  options: ChannelLayerFromUrlOptions = {},
): ChannelLayer {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new TypeError(
      `A channel layer URL must be a redis:// or rediss:// URL, not ${JSON.stringify(url)}.`,
    )
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new TypeError(
      `A channel layer URL must be a redis:// or rediss:// URL, not ${JSON.stringify(url)}.`,
    )
  }
  const params = parsed.searchParams
  for (const name of params.keys()) {
    if (!KNOWN.has(name)) {
      throw new TypeError(
        `Unknown channel layer URL parameter ${JSON.stringify(name)}; expected one of ${[...KNOWN].join(', ')}.`,
      )
    }
  }
  const layer = params.get('layer') ?? 'core'
  if (layer !== 'core' && layer !== 'pubsub') {
    throw new TypeError(
      `The channel layer URL parameter layer must be "core" or "pubsub", not ${JSON.stringify(layer)}.`,
    )
  }
  const layerOptions: RedisChannelLayerOptions = { ...options }
  for (const name of INTEGER_PARAMS) {
    const text = params.get(name)
    if (text === null) continue
    if (layer === 'pubsub' && CORE_ONLY.has(name)) {
      throw new TypeError(`The channel layer URL parameter ${name} applies to layer=core only.`)
    }
    if (!/^\d+$/.test(text)) {
      throw new TypeError(
        `The channel layer URL parameter ${name} must be a whole number, not ${JSON.stringify(text)}.`,
      )
    }
    layerOptions[name] = Number(text)
  }
  const prefix = params.get('prefix')
  if (prefix !== null) layerOptions.prefix = prefix
  const keys = params.getAll('symmetricEncryptionKeys')
  if (keys.length > 0) layerOptions.symmetricEncryptionKeys = keys
  // What is left (credentials, host, port, database) is the Redis host itself.
  const host = new URL(parsed.href)
  for (const name of [...host.searchParams.keys()])
    if (name !== 'db') host.searchParams.delete(name)
  layerOptions.hosts = host.href
  if (layer === 'pubsub') {
    const {
      groupExpiryMs: _group,
      randomPrefixLength: _prefix,
      channelCapacity: _capacity,
      ...common
    } = layerOptions
    return new RedisPubSubChannelLayer(common)
  }
  return new RedisChannelLayer(layerOptions)
}

import { type ChannelLayer, InMemoryChannelLayer, quoteValue } from '@node-channels/core'

/** The environment variable the CLI reads a channel layer URL from (`--layer` wins). */
export const CHANNEL_LAYER_URL_ENV = 'CHANNEL_LAYER_URL'

/** The package a `redis://` URL needs; an optional peer dependency of the server. */
const REDIS_PACKAGE = '@node-channels/redis'

/**
 * A channel layer URL cannot be served: its package is not installed or does not provide
 * `channelLayerFromUrl`. (A malformed URL or an unknown scheme is a TypeError instead.)
 */
export class ChannelLayerUnavailable extends Error {
  override name = 'ChannelLayerUnavailable'
}

/**
 * Builds the channel layer a URL names, for `--layer` and `CHANNEL_LAYER_URL`:
 * `memory://` is an `InMemoryChannelLayer` (one process only); `redis://` and `rediss://` are
 * handed to `channelLayerFromUrl()` of `@node-channels/redis`, loaded on demand, so the
 * server works without it. Throws TypeError for an unknown scheme or a bad URL, and
 * ChannelLayerUnavailable when the Redis package is missing.
 *
 * @example
 * setChannelLayer(await loadChannelLayer('redis://127.0.0.1:6379?prefix=myapp'))
 */
export async function loadChannelLayer(url: string): Promise<ChannelLayer> {
  if (typeof url !== 'string') {
    throw new TypeError(`A channel layer URL must be a string, not ${quoteValue(url)}.`)
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url.trim())?.[1]?.toLowerCase()
  if (scheme === 'memory') {
    if (!/^memory:(\/\/)?$/i.test(url.trim())) {
      throw new TypeError(
        `A memory channel layer URL takes no host or options: ${quoteValue(url)}.`,
      )
    }
    return new InMemoryChannelLayer()
  }
  if (scheme === 'redis' || scheme === 'rediss') {
    const fromUrl = await importRedisFactory(url)
    return fromUrl(url.trim())
  }
  throw new TypeError(
    `Unknown channel layer URL scheme ${quoteValue(scheme === undefined ? url : `${scheme}:`)}: ` +
      'use memory://, redis:// or rediss://.',
  )
}

type LayerFactory = (url: string) => ChannelLayer

async function importRedisFactory(url: string): Promise<LayerFactory> {
  let module: { channelLayerFromUrl?: unknown }
  try {
    // A variable specifier: the server builds and runs without the optional package.
    const specifier: string = REDIS_PACKAGE
    module = (await import(specifier)) as { channelLayerFromUrl?: unknown }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | null)?.code
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw error
    throw new ChannelLayerUnavailable(
      `The channel layer URL ${quoteValue(url)} needs the ${REDIS_PACKAGE} package: install it beside @node-channels/server.`,
      { cause: error },
    )
  }
  const factory = module.channelLayerFromUrl
  if (typeof factory !== 'function') {
    throw new ChannelLayerUnavailable(
      `The installed ${REDIS_PACKAGE} package has no channelLayerFromUrl(): upgrade it.`,
    )
  }
  return factory as LayerFactory
}

export { RedisConnectionError } from './errors.js'
export type { ChannelLayerFromUrlOptions } from './from-url.js'
export { channelLayerFromUrl } from './from-url.js'
export type { RedisLayerLogger } from './logger.js'
export { defaultLogger } from './logger.js'
export type {
  RedisChannelLayerOptions,
  RedisHost,
  RedisHostOptions,
  RedisLayerCommonOptions,
  RedisPubSubChannelLayerOptions,
} from './options.js'
export { RedisPubSubChannelLayer } from './pubsub-layer.js'
export { RedisChannelLayer } from './redis-channel-layer.js'
export type { RedisSessionStoreOptions } from './redis-session-store.js'
export { RedisSessionStore } from './redis-session-store.js'
export { consistentHash } from './sharding.js'

// @node-channels/server: the protocol server (what Daphne is to Channels) and its CLI.

export type { AccessLogEntry, AccessLogTarget } from './access-log.js'
export { formatAccessLogLine } from './access-log.js'
export { CancelledError } from './app-instance.js'
export { BROWSER_CLIENT_PATH, browserClient } from './browser-client.js'
export type { NodeHttp } from './http-handler.js'
export {
  CHANNEL_LAYER_URL_ENV,
  ChannelLayerUnavailable,
  loadChannelLayer,
} from './layer-url.js'
export type { LongPollApplication } from './long-poll/long-poll.js'
export { longPoll } from './long-poll/long-poll.js'
export type { LongPollOptions } from './long-poll/options.js'
export type { ServeOptions, ServerLogger } from './options.js'
export type { Address, ForwardedHeaderNames } from './proxy-headers.js'
export { parseXForwardedFor } from './proxy-headers.js'
export { ROOT_PATH_HEADER } from './scope.js'
export type { SecurityOptions, WebsocketRateLimit } from './security-options.js'
export type { ServerHandle } from './serve.js'
export { serve } from './serve.js'
export type { RunWorkerOptions } from './worker.js'
export { runWorker } from './worker.js'

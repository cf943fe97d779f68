// The application interface

// Channel layers
export type { ChannelLayer, ReceiveOptions } from './channel-layer.js'
// Exceptions
export {
  AcceptConnection,
  ChannelFull,
  DenyConnection,
  InvalidChannelLayerError,
  MessageTooLarge,
  RequestAborted,
  StopConsumer,
} from './errors.js'
export type { ChannelCapacity } from './layers/capacity.js'
export { CapacityTable, globToRegExp } from './layers/capacity.js'
export type { InMemoryChannelLayerOptions } from './layers/in-memory-layer.js'
export { InMemoryChannelLayer } from './layers/in-memory-layer.js'
export { copyMessage, requireLayerMessage } from './layers/message.js'
export { nonLocalName, requireValidChannelName, requireValidGroupName } from './layers/names.js'
export { getChannelLayer, resetChannelLayers, setChannelLayer } from './layers/registry.js'
export type {
  Application,
  BaseScope,
  ChannelScope,
  ConnectionScope,
  Headers,
  HttpScope,
  LifespanScope,
  Message,
  Receive,
  Scope,
  Send,
  UrlRoute,
  WebSocketScope,
} from './types.js'
export { kNodeHttp, kPathRouting } from './types.js'

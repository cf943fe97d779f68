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
export { kNodeHttp } from './types.js'

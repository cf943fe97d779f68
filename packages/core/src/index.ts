// The application interface

export { AsyncQueue } from './async-queue.js'
// Channel layers
export type { ChannelLayer, ChannelReceiver, ReceiveOptions } from './channel-layer.js'
// Consumers
export type { ConsumerApplication, ConsumerClass } from './consumer.js'
export { AsyncConsumer, AsyncConsumer as SyncConsumer } from './consumer.js'
export { ConsumerChannelLayer } from './consumer-layer.js'
export type { HandlerName, HandlersFor, MessageSource } from './dispatch.js'
export {
  awaitManyDispatch,
  findHandler,
  getHandlerName,
  NoHandlerError,
} from './dispatch.js'
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
  ResponseBody,
  ResponseHeaders,
  SendBodyOptions,
  SendHeadersOptions,
} from './http-consumer.js'
export { AsyncHttpConsumer } from './http-consumer.js'
export type {
  InvalidFrameCloseCode,
  InvalidFrameErrorOptions,
  SendJsonOptions,
} from './json-websocket-consumer.js'
export {
  InvalidFrameError,
  JsonWebsocketConsumer,
  JsonWebsocketConsumer as AsyncJsonWebsocketConsumer,
} from './json-websocket-consumer.js'
export type { ChannelCapacity } from './layers/capacity.js'
export { CapacityTable, globToRegExp } from './layers/capacity.js'
export type { InMemoryChannelLayerOptions } from './layers/in-memory-layer.js'
export { InMemoryChannelLayer } from './layers/in-memory-layer.js'
export { copyMessage, copyPlainTree, requireLayerMessage } from './layers/message.js'
export { nonLocalName, requireValidChannelName, requireValidGroupName } from './layers/names.js'
export { randomLetters } from './layers/random-letters.js'
export { getChannelLayer, resetChannelLayers, setChannelLayer } from './layers/registry.js'
// Middleware
export type { AuthUser, LoadUser } from './middleware/auth.js'
export {
  AnonymousUser,
  getUser,
  login,
  logout,
  SESSION_AUTH_HASH_KEY,
  SESSION_USER_ID_KEY,
} from './middleware/auth.js'
export type {
  AuthMiddlewareOptions,
  AuthMiddlewareStackOptions,
} from './middleware/auth-middleware.js'
export { AuthMiddleware, AuthMiddlewareStack } from './middleware/auth-middleware.js'
export type { ScopeAdditions } from './middleware/base-middleware.js'
export { BaseMiddleware } from './middleware/base-middleware.js'
export { CookieMiddleware } from './middleware/cookie-middleware.js'
export type { CookieOptions, DeleteCookieOptions, SameSite } from './middleware/cookies.js'
export { deleteCookie, parseCookie, setCookie } from './middleware/cookies.js'
export type { ParsedUrl } from './middleware/origin-matching.js'
export { isSameDomain, matchAllowedOrigin, parseUrl } from './middleware/origin-matching.js'
export {
  AllowedHostsOriginValidator,
  DEBUG_ALLOWED_HOSTS,
  OriginValidator,
} from './middleware/origin-validator.js'
export type { SessionOptions } from './middleware/session.js'
export { getSession, Session, SessionInterrupted } from './middleware/session.js'
export type { SessionMiddlewareOptions } from './middleware/session-middleware.js'
export { SessionMiddleware, SessionMiddlewareStack } from './middleware/session-middleware.js'
export type { InMemorySessionStoreOptions, SessionStore } from './middleware/session-store.js'
export { InMemorySessionStore } from './middleware/session-store.js'
export type { Secrets } from './middleware/signing.js'
export type {
  CreateAuthTokenOptions,
  TokenAuthMiddlewareOptions,
  VerifyAuthTokenOptions,
} from './middleware/token-auth.js'
export {
  createAuthToken,
  TokenAuthMiddleware,
  verifyAuthToken,
} from './middleware/token-auth.js'
export { WebsocketDenier } from './middleware/websocket-denier.js'
export { quoteValue } from './quote-value.js'
export type { Relay, Relays, RelayTable } from './relay.js'
export { InvalidRelaysError, RelayMemo } from './relay.js'
export type { ExitReceiver, RunInto } from './run-into.js'
export { applicationOf, kRunInto, runApplication, runIntoOf } from './run-into.js'
export type { StartStreamOptions } from './sse-consumer.js'
export { ServerSentEventsConsumer } from './sse-consumer.js'
export type { ServerSentEvent } from './sse-format.js'
export { formatServerSentComment, formatServerSentEvent } from './sse-format.js'
export type {
  Application,
  BaseScope,
  ChannelScope,
  ConnectionScope,
  EventReceiver,
  Headers,
  HttpScope,
  LifespanScope,
  Message,
  Receive,
  Scope,
  Send,
  ServerPort,
  UrlRoute,
  WebSocketScope,
} from './types.js'
export {
  kNodeHttp,
  kPathRouting,
  kServerPort,
  kServerShutdown,
  sendDone,
} from './types.js'
export type {
  AcceptOptions,
  CloseOptions,
  WebsocketFrame,
  WebsocketSendOptions,
} from './websocket-consumer.js'
export {
  WebsocketConsumer,
  WebsocketConsumer as AsyncWebsocketConsumer,
} from './websocket-consumer.js'

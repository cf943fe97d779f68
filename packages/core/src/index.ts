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

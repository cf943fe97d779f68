import type { Application } from '@node-channels/core'
import type { AccessLog } from './access-log.js'
import type { InstanceRegistry } from './app-instance.js'
import type { ResolvedOptions } from './options.js'

/** What the HTTP and WebSocket handlers share with the server that runs them. */
export interface ServerContext {
  readonly application: Application
  readonly options: ResolvedOptions
  readonly accessLog: AccessLog | null
  /** Every running application instance, so shutdown can wait for them. */
  readonly registry: InstanceRegistry
  /** Aborted when graceful shutdown begins; HTTP scopes carry it as `scope[kServerShutdown]`. */
  readonly shutdown: AbortController
}

/**
 * Where the server puts its context on HTTP scopes, for transports in this package that
 * outlive a request (long polling): a private symbol, not part of the public API.
 */
export const kServerContext: unique symbol = Symbol('node-channels.server-context')

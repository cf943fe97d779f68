import { fileURLToPath } from 'node:url'
import {
  AllowedHostsOriginValidator,
  type Application,
  type Receive,
  type Scope,
  type Send,
} from '@node-channels/core'
import { ProtocolTypeRouter, URLRouter } from '@node-channels/router'
import type { ChatLogger } from './consumers.js'
import type { HistoryStore } from './history.js'
import { httpUrlpatterns, websocketUrlpatterns } from './routing.js'

/** The public/ directory beside src/ and dist/, found from this module at run time. */
export const PUBLIC_DIR: string = fileURLToPath(new URL('../public', import.meta.url))

/** What `createApplication()` is given. */
export interface ChatApplicationOptions {
  /** Where rooms keep their last messages. Closed when the server shuts down. */
  history: HistoryStore
  /** Hosts a WebSocket's `Origin` may name (`AllowedHostsOriginValidator` patterns). */
  allowedHosts: readonly string[]
  /** The pages and assets. @default PUBLIC_DIR */
  publicDir?: string
  /** See `ChatConsumerInit.presenceIntervalMs`. @default 10000 */
  presenceIntervalMs?: number
  /** @default console */
  logger?: ChatLogger
}

/**
 * The chat's ASGI application, as the tutorial's `asgi.py` builds it: HTTP serves the pages
 * and assets, WebSockets go through the origin check to the chat routes, and lifespan
 * shutdown closes the history store.
 */
export function createApplication(options: ChatApplicationOptions): Application {
  const { history, allowedHosts, publicDir = PUBLIC_DIR, presenceIntervalMs, logger } = options
  return ProtocolTypeRouter({
    http: URLRouter(httpUrlpatterns(publicDir)),
    websocket: AllowedHostsOriginValidator(
      URLRouter(websocketUrlpatterns({ history, presenceIntervalMs, logger })),
      allowedHosts,
    ),
    lifespan: historyLifespan(history),
  })
}

/** Answers lifespan startup, and closes the history store on shutdown. */
function historyLifespan(history: HistoryStore): Application {
  return async (_scope: Scope, receive: Receive, send: Send): Promise<void> => {
    // A lifespan is a startup then a shutdown: two events at most.
    for (let step = 0; step < 2; step += 1) {
      const message = await receive()
      if (message.type === 'lifespan.startup') {
        await send({ type: 'lifespan.startup.complete' })
      } else if (message.type === 'lifespan.shutdown') {
        try {
          await history.close()
          await send({ type: 'lifespan.shutdown.complete' })
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error)
          await send({ type: 'lifespan.shutdown.failed', message: reason })
        }
        return
      }
    }
  }
}

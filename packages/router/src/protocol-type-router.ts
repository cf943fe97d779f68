import { type Application, applicationOf, runApplication, type Scope } from '@node-channels/core'
import { httpNotFound, lifespanWithoutHooks } from './default-applications.js'
import { describe, quote } from './quote.js'

/** The applications of a `ProtocolTypeRouter`, keyed by scope type. */
export interface ProtocolTypeRouterApplications {
  /** HTTP requests. @default a plain-text 404 for every request */
  http?: Application
  /** WebSocket connections. */
  websocket?: Application
  /** Worker consumers (`node-channels worker`), usually a `ChannelNameRouter`. */
  channel?: Application
  /** Server startup and shutdown. @default answers both events with `.complete` */
  lifespan?: Application
  /** Any other scope type, such as an ASGI extension's. */
  [type: string]: Application | undefined
}

/**
 * Dispatches a connection on `scope.type` to its application; the scope is passed on unchanged.
 * Without an `http` entry, HTTP gets a plain-text 404; without a `lifespan` entry, startup and
 * shutdown simply complete. Any other unconfigured type is an error naming it.
 * Mirrors `channels.routing.ProtocolTypeRouter`.
 *
 * @example
 * export const application = ProtocolTypeRouter({
 *   http: fromRequestListener(expressApp),
 *   websocket: URLRouter([path('ws/chat/:room_name/', ChatConsumer.asAsgi())]),
 * })
 */
export function ProtocolTypeRouter(applications: ProtocolTypeRouterApplications): Application {
  if (typeof applications !== 'object' || applications === null || Array.isArray(applications)) {
    throw new TypeError(
      `ProtocolTypeRouter() expects an object of applications keyed by scope type, got ${describe(applications)}.`,
    )
  }
  // A Map, so that scope types such as 'constructor' never reach Object.prototype.
  const table = new Map<string, Application>([
    ['http', httpNotFound],
    ['lifespan', lifespanWithoutHooks],
  ])
  for (const [type, app] of Object.entries(applications)) {
    if (app === undefined) continue
    if (typeof app !== 'function') {
      throw new TypeError(
        `ProtocolTypeRouter() expects an application function for scope type ${quote(type)}, got ${describe(app)}.`,
      )
    }
    table.set(type, app)
  }

  /** The application for a scope; throws for a bad scope or an unconfigured type. */
  const pick = (scope: Scope): Application => {
    if (typeof scope !== 'object' || scope === null) {
      throw new TypeError(`ProtocolTypeRouter expects a scope object, got ${describe(scope)}.`)
    }
    const type: unknown = scope.type
    if (type === undefined) {
      throw new TypeError("ProtocolTypeRouter got a scope without a 'type' key.")
    }
    const app = typeof type === 'string' ? table.get(type) : undefined
    if (app === undefined) {
      throw new TypeError(`No application configured for scope type ${describe(type)}`)
    }
    return app
  }

  // Not an async function: a connection waits in its application for as long as it lives,
  // and a suspended async frame here would stay with it (about half a KiB). A server runs it
  // through kRunInto and reaches the chosen application directly; anyone else gets a promise
  // that settles with the application's result.
  return applicationOf((scope, receive, send, exit) =>
    runApplication(pick(scope), scope, receive, send, exit),
  )
}

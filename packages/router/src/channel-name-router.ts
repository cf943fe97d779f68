import type { Application, Receive, Scope, Send } from '@node-channels/core'
import { describe, quote } from './quote.js'

/** The applications of a `ChannelNameRouter`, keyed by channel name. */
export type ChannelNameRouterApplications = Record<string, Application>

/**
 * Dispatches a worker scope (`{ type: 'channel', channel }`) on `scope.channel`; the scope is
 * passed on unchanged. Mirrors `channels.routing.ChannelNameRouter`.
 *
 * @example
 * ProtocolTypeRouter({ channel: ChannelNameRouter({ 'thumbnails-generate': ThumbnailConsumer.asAsgi() }) })
 */
export function ChannelNameRouter(applications: ChannelNameRouterApplications): Application {
  if (typeof applications !== 'object' || applications === null || Array.isArray(applications)) {
    throw new TypeError(
      `ChannelNameRouter() expects an object of applications keyed by channel name, got ${describe(applications)}.`,
    )
  }
  // A Map, so that a channel named 'constructor' never reaches Object.prototype.
  const table = new Map<string, Application>()
  for (const [channel, app] of Object.entries(applications)) {
    if (typeof app !== 'function') {
      throw new TypeError(
        `ChannelNameRouter() expects an application function for channel ${quote(channel)}, got ${describe(app)}.`,
      )
    }
    table.set(channel, app)
  }

  return async (scope: Scope, receive: Receive, send: Send): Promise<void> => {
    if (typeof scope !== 'object' || scope === null) {
      throw new TypeError(`ChannelNameRouter expects a scope object, got ${describe(scope)}.`)
    }
    const channel: unknown = scope.channel
    if (channel === undefined) {
      throw new TypeError(
        "ChannelNameRouter got a scope without a 'channel' key. " +
          "Did you make sure it's only being used for 'channel' type messages?",
      )
    }
    const app = typeof channel === 'string' ? table.get(channel) : undefined
    if (app === undefined) {
      throw new TypeError(`No application configured for channel name ${describe(channel)}`)
    }
    return await app(scope, receive, send)
  }
}

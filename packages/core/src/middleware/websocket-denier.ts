import type { Application } from '../types.js'

/**
 * An application that refuses every WebSocket connection: it answers `websocket.connect`
 * with `websocket.close` (no code), which the server turns into an HTTP 403 before the
 * handshake completes, then waits for `websocket.disconnect`. Used by `OriginValidator`.
 * Mirrors `channels.security.websocket.WebsocketDenier`.
 */
export const WebsocketDenier: Application = async (scope, receive, send) => {
  if (scope.type !== 'websocket') {
    throw new TypeError(
      `WebsocketDenier only handles WebSocket connections; got scope type ${JSON.stringify(scope.type)}.`,
    )
  }
  for (;;) {
    const message = await receive()
    if (message.type === 'websocket.connect') await send({ type: 'websocket.close' })
    else if (message.type === 'websocket.disconnect') return
  }
}

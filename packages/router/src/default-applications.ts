import type { Message, Receive, Scope, Send } from '@node-channels/core'
import { describe } from './quote.js'

const notFoundBody = new TextEncoder().encode('Not Found\n')

/**
 * What `ProtocolTypeRouter` serves HTTP with when it has no `http` entry: it reads the request
 * body to its end (ignoring it), then answers `404 Not Found` in plain text. If the client goes
 * away first (`http.disconnect`), it sends nothing.
 */
export async function httpNotFound(_scope: Scope, receive: Receive, send: Send): Promise<void> {
  for (;;) {
    const message = await receive()
    if (message.type === 'http.disconnect') return
    if (message.type !== 'http.request') throw unexpected(message, "'http.request'")
    if (message.more_body !== true) break
  }
  await send({
    type: 'http.response.start',
    status: 404,
    headers: [
      ['content-type', 'text/plain; charset=utf-8'],
      ['content-length', String(notFoundBody.byteLength)],
    ],
  })
  await send({ type: 'http.response.body', body: notFoundBody, more_body: false })
}

/**
 * What `ProtocolTypeRouter` serves the lifespan scope with when it has no `lifespan` entry: an
 * application with nothing to start or stop. It answers `lifespan.startup` with
 * `lifespan.startup.complete` and `lifespan.shutdown` with `lifespan.shutdown.complete`, then ends.
 */
export async function lifespanWithoutHooks(
  _scope: Scope,
  receive: Receive,
  send: Send,
): Promise<void> {
  for (;;) {
    const message = await receive()
    if (message.type === 'lifespan.startup') {
      await send({ type: 'lifespan.startup.complete' })
    } else if (message.type === 'lifespan.shutdown') {
      await send({ type: 'lifespan.shutdown.complete' })
      return
    } else {
      throw unexpected(message, "'lifespan.startup' or 'lifespan.shutdown'")
    }
  }
}

// --- helpers ---

function unexpected(message: Message, expected: string): TypeError {
  const type: unknown = typeof message === 'object' && message !== null ? message.type : message
  return new TypeError(`Expected a ${expected} event, got the event type ${describe(type)}.`)
}

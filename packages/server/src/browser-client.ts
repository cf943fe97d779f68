import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { Application, Receive, Scope, Send } from '@node-channels/core'
import { quoteValue } from '@node-channels/core'

/**
 * The browser client's file (`client/node-channels-client.js` in this package: a plain ES
 * module, no build step), for serving it with your own static files.
 */
export const BROWSER_CLIENT_PATH: string = fileURLToPath(
  new URL('../client/node-channels-client.js', import.meta.url),
)

/**
 * An HTTP application that serves the browser client (GET or HEAD, any path): mount it where
 * pages import it from, e.g. `path('static/node-channels-client.js', browserClient())`.
 */
export function browserClient(): Application {
  let source: Promise<Buffer> | null = null
  return async (scope: Scope, _receive: Receive, send: Send): Promise<void> => {
    if (scope.type !== 'http') {
      throw new TypeError(`browserClient() serves "http" scopes, not ${quoteValue(scope.type)}.`)
    }
    if (scope.method !== 'GET' && scope.method !== 'HEAD') {
      await send({ type: 'http.response.start', status: 405, headers: [['allow', 'GET, HEAD']] })
      await send({ type: 'http.response.body', body: new Uint8Array(0) })
      return
    }
    source ??= readFile(BROWSER_CLIENT_PATH)
    const body = await source
    await send({
      type: 'http.response.start',
      status: 200,
      headers: [
        ['content-type', 'text/javascript; charset=utf-8'],
        ['cache-control', 'no-cache'],
      ],
    })
    await send({
      type: 'http.response.body',
      body: scope.method === 'HEAD' ? new Uint8Array(0) : body,
    })
  }
}

import type { Application } from '@node-channels/core'
import type { ServeOptions, ServerHandle } from '@node-channels/server'

/** Options of `startLiveServer()`: `serve()`'s, except the port (always a free one). */
export type LiveServerOptions = Omit<ServeOptions, 'port' | 'server'>

/** A server running an application for a test, on a free port. */
export interface LiveServer {
  /** `http://127.0.0.1:<port>`. Mirrors `live_server_url`. */
  readonly url: string
  /** `ws://127.0.0.1:<port>`. Mirrors `live_server_ws_url`. */
  readonly wsUrl: string
  /** The running server, as `serve()` returned it. */
  readonly handle: ServerHandle
  /** Shuts the server down gracefully (and closes the channel layers, as `serve()` does). */
  close(): Promise<void>
}

/**
 * Serves `application` on 127.0.0.1 and a free port for a browser or client test, with
 * `@node-channels/server` (an optional peer dependency, loaded when called). Close it when
 * the test ends. Mirrors `channels.testing.ChannelsLiveServerTestCase`, without a subprocess.
 *
 * @example
 * const server = await startLiveServer(application)
 * onTestFinished(() => server.close())
 * await page.goto(`${server.url}/chat/lobby/`)
 */
export async function startLiveServer(
  application: Application,
  options: LiveServerOptions = {},
): Promise<LiveServer> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      `startLiveServer() options must be an object, not ${JSON.stringify(options)}.`,
    )
  }
  let server: typeof import('@node-channels/server')
  try {
    server = await import('@node-channels/server')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | null)?.code
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw error
    throw new Error(
      'startLiveServer() needs the @node-channels/server package: add it to your dev dependencies.',
      { cause: error },
    )
  }
  const handle = await server.serve(application, { host: '127.0.0.1', ...options, port: 0 })
  return {
    url: handle.url,
    wsUrl: handle.url.replace(/^http/, 'ws'),
    handle,
    close: () => handle.close(),
  }
}

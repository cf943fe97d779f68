import {
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http'
import { Server as HttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { type Application, quoteValue, resetChannelLayers } from '@node-channels/core'
import { createAccessLog } from './access-log.js'
import { InstanceRegistry } from './app-instance.js'
import { handleHttpRequest } from './http-handler.js'
import { writeErrorPage } from './http-response.js'
import { Lifespan } from './lifespan.js'
import { type ResolvedOptions, resolveOptions, type ServeOptions } from './options.js'
import { createLimitedServer, tooManyHeaders } from './request-limits.js'
import type { ServerContext } from './server-context.js'
import { WebSocketHandler } from './websocket-handler.js'

/** A running server, as `serve()` returns it. */
export interface ServerHandle {
  /** The address the server is bound to (the real port when `port: 0` was asked). */
  readonly address: { host: string; port: number }
  /** `http://host:port` (IPv6 hosts in brackets; `https` for an attached https.Server). */
  readonly url: string
  /** The Node server, created by `serve()` or the one passed as `server`. */
  readonly server: HttpServer
  /** Settles when the server has shut down, through `close()` or a signal. */
  readonly closed: Promise<void>
  /**
   * Shuts down gracefully: stops accepting, closes every WebSocket with 1001 (their
   * applications get `websocket.disconnect`), gives applications `applicationCloseTimeoutMs`
   * to finish (in-flight HTTP responses included), sends `lifespan.shutdown`, then closes the
   * channel layers (`resetChannelLayers()`). Calling it again returns the same promise.
   */
  close(): Promise<void>
}

/**
 * Serves an application over HTTP and WebSocket: what Daphne is to Channels.
 * Runs `lifespan.startup` first (rejecting if the application reports
 * `lifespan.startup.failed`), then listens. With `server`, only WebSocket upgrades are taken
 * from that server; its own request listeners keep serving HTTP on the same port.
 *
 * @example
 * const handle = await serve(application, { port: 0 })
 * console.log(`Listening on ${handle.url}`)
 * await handle.close()
 */
export function serve(application: Application, options: ServeOptions = {}): Promise<ServerHandle> {
  if (typeof application !== 'function') {
    throw new TypeError(`serve() needs an application function, not ${quoteValue(application)}.`)
  }
  return start(application, resolveOptions(options))
}

async function start(application: Application, options: ResolvedOptions): Promise<ServerHandle> {
  const { logger } = options
  const context: ServerContext = {
    application,
    options,
    accessLog: createAccessLog(options.accessLog),
    registry: new InstanceRegistry(),
    shutdown: new AbortController(),
  }
  const lifespan = await Lifespan.start(application, logger)
  const server = options.server ?? createLimitedServer(options)
  const attached = options.server !== null
  const websockets = new WebSocketHandler(context)
  // Errors below are the server's own (the handlers catch the application's): never crash on them.
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    try {
      if (tooManyHeaders(req, options.maxHeadersCount)) {
        logger.debug(
          `Refused a request with over ${options.maxHeadersCount} header fields; answered 431.`,
        )
        res.setHeader('connection', 'close')
        writeErrorPage(res, 431, 'Too many header fields.', options.serverName)
        return
      }
      handleHttpRequest(context, req, res)
    } catch (error) {
      logger.error('Internal error while serving an HTTP request:', error)
      writeErrorPage(res, 500, 'HTTP processing error', options.serverName)
    }
  }
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    try {
      websockets.handleUpgrade(req, socket, head)
    } catch (error) {
      logger.error('Internal error while serving a WebSocket handshake:', error)
      socket.destroy()
    }
  }
  const onClientError = (error: NodeJS.ErrnoException, socket: Duplex) => {
    logger.debug(`Bad request: ${error.message} (${error.code ?? 'error'})`)
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy()
      return
    }
    const status =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? 431
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? 408
          : 400
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
    )
  }
  const onServerError = (error: Error) => logger.error('HTTP server error:', error)
  if (!attached) {
    server.on('request', onRequest)
    server.on('clientError', onClientError)
    server.on('error', onServerError)
  }
  server.on('upgrade', onUpgrade)
  const detach = () => {
    server.off('request', onRequest)
    server.off('clientError', onClientError)
    server.off('error', onServerError)
    server.off('upgrade', onUpgrade)
  }

  // An attached server that already listens stays the caller's to close.
  const ownsListening = !server.listening
  if (ownsListening) {
    try {
      await listen(server, options.port, options.host)
    } catch (error) {
      detach()
      await lifespan.shutdown(options.applicationCloseTimeoutMs)
      throw error
    }
  }

  let closing: Promise<void> | null = null
  const onSignal = (signal: NodeJS.Signals) => {
    logger.warn(`Received ${signal}; shutting down.`)
    void handle.close().catch((error: unknown) => logger.error('Shutdown failed:', error))
  }
  let resolveClosed: () => void = () => {}
  let rejectClosed: (error: unknown) => void = () => {}
  const closed = new Promise<void>((resolve, reject) => {
    resolveClosed = resolve
    rejectClosed = reject
  })
  closed.catch(() => {}) // observed through close(); not an unhandled rejection here

  const shutdown = async (): Promise<void> => {
    const startedAt = performance.now()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    // First, so long-lived responses (server-sent events, long polls) start ending now.
    context.shutdown.abort()
    const serverClosed = ownsListening
      ? new Promise<void>((resolve) => server.close(() => resolve()))
      : Promise.resolve()
    await websockets.closeAll()
    const deadline = performance.now() + options.applicationCloseTimeoutMs
    await context.registry.drain(deadline, logger)
    if (ownsListening) {
      let timer: NodeJS.Timeout | undefined
      // Connections whose responses ended during the drain are idle now: server.close() only
      // closed the ones idle when it was called.
      server.closeIdleConnections()
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, deadline - performance.now()))
      })
      await Promise.race([serverClosed, timeout])
      clearTimeout(timer)
      server.closeAllConnections()
      await serverClosed
    }
    detach()
    await lifespan.shutdown(options.applicationCloseTimeoutMs)
    await resetChannelLayers()
    logger.debug(`Server shut down in ${Math.round(performance.now() - startedAt)} ms.`)
  }

  const bound = server.address() as AddressInfo
  const host = bound.address
  const scheme = server instanceof HttpsServer ? 'https' : 'http'
  const handle: ServerHandle = {
    address: { host, port: bound.port },
    url: `${scheme}://${host.includes(':') ? `[${host}]` : host}:${bound.port}`,
    server,
    closed,
    close() {
      closing ??= shutdown().then(resolveClosed, (error: unknown) => {
        rejectClosed(error)
        throw error
      })
      return closing
    },
  }
  if (options.signalHandlers) {
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
  }
  return handle
}

function listen(server: HttpServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.off('listening', onListening)
      reject(error)
    }
    const onListening = () => {
      server.off('error', onError)
      resolve()
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(port, host)
  })
}

import { createServer, type Server as HttpServer, type IncomingMessage } from 'node:http'
import type { ResolvedSecurityOptions } from './security-options.js'

type Limits = Pick<
  ResolvedSecurityOptions,
  'headersTimeoutMs' | 'requestTimeoutMs' | 'maxHeaderSize' | 'maxHeadersCount'
>

/**
 * Creates the http.Server `serve()` listens on, with node's limits on request heads set from
 * the options: a head over `maxHeaderSize` is answered 431, one not complete within
 * `headersTimeoutMs` is answered 408 and dropped (the slowloris defence). Node checks the
 * timeouts every `connectionsCheckingInterval`, so it is a tenth of the timeout (at most 1 s).
 */
export function createLimitedServer(limits: Limits): HttpServer {
  const server = createServer({
    maxHeaderSize: limits.maxHeaderSize,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs ?? 0,
    connectionsCheckingInterval: Math.min(1000, Math.max(10, limits.headersTimeoutMs / 10)),
  })
  // Node silently drops the fields past maxHeadersCount; one more lets tooManyHeaders() see it.
  server.maxHeadersCount = limits.maxHeadersCount + 1
  return server
}

/** True when the request carries more header fields than `maxHeadersCount` (answer 431). */
export function tooManyHeaders(req: IncomingMessage, maxHeadersCount: number): boolean {
  return req.rawHeaders.length / 2 > maxHeadersCount
}

import type { IncomingMessage, ServerResponse } from 'node:http'
import { type HttpScope, kNodeHttp, kServerShutdown, type Message } from '@node-channels/core'
import { type AccessLog, clientHost } from './access-log.js'
import { type AppExit, AppInstance, isRouteNotFound, logApplicationError } from './app-instance.js'
import {
  EMPTY,
  parseBody,
  parseResponseStart,
  type ResponseStart,
  readChunk,
  responseHead,
  writeErrorPage,
} from './http-response.js'
import { BadRequest, buildHttpScope, describePeer } from './scope.js'
import { kServerContext, type ServerContext } from './server-context.js'

/**
 * What `scope[kNodeHttp]` holds for an HTTP request. Reading `req` or `res` hands the request
 * over: from then on the server neither reads the body nor writes a response (not even a 500
 * when the application returns), so a wrapped Node request listener owns it completely.
 */
export interface NodeHttp {
  readonly req: IncomingMessage
  readonly res: ServerResponse
}

/** Serves one HTTP request with the application. Mirrors `daphne.http_protocol.WebRequest`. */
export function handleHttpRequest(
  context: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  let scope: HttpScope
  try {
    scope = buildHttpScope(req, context.options)
  } catch (error) {
    if (!(error instanceof BadRequest)) throw error
    context.options.logger.debug(`Bad request from ${describePeer(req)}: ${error.message}`)
    const size = writeErrorPage(res, error.status, error.message, context.options.serverName)
    context.accessLog?.({
      host: clientHost(null, req.socket),
      request: `${req.method} ${req.url}`,
      status: error.status,
      length: size,
    })
    return
  }
  new HttpExchange(context, req, res, scope)
}

class HttpExchange {
  readonly #context: ServerContext
  readonly #req: IncomingMessage
  readonly #res: ServerResponse
  readonly #scope: HttpScope
  readonly #instance: AppInstance
  #start: ResponseStart | null = null
  #complete = false
  #clientGone = false
  #bodyDone = false
  #tookOver = false
  #watching = false
  #size = 0
  #timer: NodeJS.Timeout | null = null
  #reads: Promise<unknown> = Promise.resolve()
  #onDisconnect: Array<() => void> = []

  constructor(context: ServerContext, req: IncomingMessage, res: ServerResponse, scope: HttpScope) {
    this.#context = context
    this.#req = req
    this.#res = res
    this.#scope = scope
    const exchange = this
    const nodeHttp: NodeHttp = {
      get req() {
        exchange.#takeOver()
        return req
      },
      get res() {
        exchange.#takeOver()
        return res
      },
    }
    ;(scope as HttpScope & { [kNodeHttp]?: NodeHttp })[kNodeHttp] = nodeHttp
    ;(scope as HttpScope & { [kServerShutdown]?: AbortSignal })[kServerShutdown] =
      context.shutdown.signal
    ;(scope as HttpScope & { [kServerContext]?: ServerContext })[kServerContext] = context
    this.#instance = new AppInstance({
      application: context.application,
      scope,
      receive: () => this.#receive(),
      send: (message) => this.#send(message),
      label: `HTTP ${req.method} ${req.url} from ${describePeer(req)}`,
      logger: context.options.logger,
    })
    context.registry.add(this.#instance)
    const { httpTimeoutMs } = context.options
    if (httpTimeoutMs !== null) this.#timer = setTimeout(() => this.#timeout(), httpTimeoutMs)
    void this.#instance.exited.then((exit) => this.#exit(exit))
  }

  #takeOver(): void {
    if (this.#tookOver) return
    this.#tookOver = true
    this.#clearTimer()
    const { accessLog } = this.#context
    if (accessLog !== null && !this.#complete) {
      this.#res.once('finish', () => {
        const length = Number(this.#res.getHeader('content-length'))
        this.#log(accessLog, this.#res.statusCode, Number.isNaN(length) ? null : length)
      })
    }
  }

  /** The application's `receive()`: body chunks on demand, then `http.disconnect`. */
  #receive(): Promise<Message> {
    const next = this.#reads.then(() => this.#receiveOne())
    this.#reads = next.catch(() => {})
    return next
  }

  async #receiveOne(): Promise<Message> {
    this.#watch()
    if (!this.#tookOver && !this.#bodyDone && !this.#complete && !this.#clientGone) {
      try {
        const chunk = await readChunk(this.#req)
        // The last chunk is known when the parser has the whole message and nothing is buffered.
        const last = chunk === null || (this.#req.complete && this.#req.readableLength === 0)
        if (last) this.#bodyDone = true
        return { type: 'http.request', body: chunk ?? EMPTY, more_body: !last }
      } catch {
        this.#gone()
      }
    }
    await new Promise<void>((resolve) => {
      if (this.#complete || this.#clientGone) resolve()
      else this.#onDisconnect.push(resolve)
    })
    return { type: 'http.disconnect' }
  }

  /** Starts watching for the client going away, once the application talks to the server. */
  #watch(): void {
    if (this.#watching) return
    this.#watching = true
    this.#res.once('close', () => {
      if (!this.#complete) this.#gone()
    })
  }

  #gone(): void {
    if (this.#clientGone || this.#complete) return
    this.#clientGone = true
    this.#clearTimer()
    this.#disconnected()
  }

  #disconnected(): void {
    for (const resolve of this.#onDisconnect.splice(0)) resolve()
    this.#instance.closeWithin(this.#context.options.applicationCloseTimeoutMs)
  }

  /** The application's `send()`: Daphne's `WebRequest.handle_reply` checks, then the response. */
  async #send(message: Message): Promise<void> {
    this.#watch()
    if (message.type === 'http.response.start') {
      if (this.#start !== null || this.#complete || this.#res.headersSent) {
        throw this.#invalid('HTTP response has already been started')
      }
      try {
        this.#start = parseResponseStart(message)
      } catch (error) {
        throw this.#invalid((error as Error).message)
      }
    } else if (message.type === 'http.response.body') {
      if (this.#start === null) {
        throw this.#invalid(`HTTP response has not yet been started but got ${message.type}`)
      }
      if (this.#clientGone || this.#res.destroyed) return // Daphne drops sends after a disconnect.
      if (this.#complete) throw new Error('HTTP response has already been completed')
      let body: Uint8Array
      try {
        body = parseBody(message.body)
      } catch (error) {
        throw this.#invalid((error as Error).message)
      }
      await this.#writeBody(this.#start, body, Boolean(message.more_body))
    } else {
      throw this.#invalid(`Cannot handle message type ${message.type}!`)
    }
  }

  async #writeBody(start: ResponseStart, body: Uint8Array, more: boolean): Promise<void> {
    const res = this.#res
    if (!res.headersSent) {
      const flat = responseHead(start, {
        serverName: this.#context.options.serverName,
        method: this.#req.method ?? 'GET',
        finalLength: more ? null : body.byteLength,
      })
      try {
        res.writeHead(start.status, flat)
      } catch (error) {
        throw this.#invalid((error as Error).message)
      }
    }
    this.#size += body.byteLength
    if (more) {
      if (body.byteLength > 0 && !res.write(body)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done)
            res.off('close', done)
            resolve()
          }
          res.on('drain', done)
          res.on('close', done)
        })
      }
      return
    }
    res.end(body.byteLength > 0 ? body : undefined)
    this.#completed(start.status)
  }

  /** Marks the response complete: access log, `http.disconnect`, and the close timeout. */
  #completed(status: number): void {
    if (this.#complete) return
    this.#complete = true
    this.#clearTimer()
    this.#log(this.#context.accessLog, status, this.#size)
    // An unread request body would stall a keep-alive connection: discard it.
    if (!this.#tookOver && !this.#req.readableEnded) this.#req.resume()
    this.#disconnected()
  }

  /** A protocol error in what the application sent: answer 500 if no response was started. */
  #invalid(problem: string): Error {
    const error = new Error(problem)
    if (this.#start === null && !this.#complete && !this.#res.headersSent && !this.#clientGone) {
      this.#context.options.logger.warn(
        `Application for ${this.#instance.label} sent an invalid message: ${problem}; answered 500.`,
      )
      this.#errorPage(500, 'Exception inside application.')
    }
    return error
  }

  #errorPage(status: number, detail: string): void {
    if (this.#complete) return
    this.#size = writeErrorPage(this.#res, status, detail, this.#context.options.serverName)
    this.#completed(status)
  }

  #timeout(): void {
    this.#timer = null
    if (this.#complete || this.#tookOver || this.#clientGone) return
    const ms = this.#context.options.httpTimeoutMs
    if (!this.#res.headersSent) {
      this.#context.options.logger.warn(
        `${this.#instance.label}: no response within ${ms} ms; answered 503.`,
      )
      this.#errorPage(503, 'Application failed to respond within time limit.')
    } else {
      this.#context.options.logger.warn(
        `${this.#instance.label}: Application timed out while sending response`,
      )
      this.#res.end()
      this.#completed(this.#res.statusCode)
    }
  }

  #exit(exit: AppExit): void {
    this.#clearTimer()
    if (exit.kind === 'abandoned') return
    if (exit.kind === 'raised') {
      logApplicationError(this.#context.options.logger, this.#instance.label, exit.error)
    }
    // Nothing to add to a response that is over (a request listener may have ended it itself).
    if (this.#complete || this.#clientGone || this.#res.writableEnded || this.#res.destroyed) return
    if (exit.kind === 'returned') {
      if (this.#tookOver || this.#res.headersSent) {
        if (!this.#tookOver) {
          this.#context.options.logger.warn(
            `Application for ${this.#instance.label} returned before finishing its response; connection closed.`,
          )
          this.#res.destroy()
        }
        return
      }
      this.#context.options.logger.error(
        `Application for ${this.#instance.label} returned without sending a response; answered 500.`,
      )
      this.#errorPage(500, 'Application returned without sending a response.')
      return
    }
    if (isRouteNotFound(exit.error)) this.#errorPage(404, 'Not Found')
    else this.#errorPage(500, 'Exception inside application.')
  }

  #log(accessLog: AccessLog | null, status: number, length: number | null): void {
    accessLog?.({
      host: clientHost(this.#scope.client, this.#req.socket),
      request: `${this.#req.method} ${this.#req.url}`,
      status,
      length,
    })
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
  }
}

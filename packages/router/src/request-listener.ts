import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Application, Scope } from '@node-channels/core'
import { kNodeHttp } from '@node-channels/core'
import { describe } from './quote.js'

/** A Node request listener: `(req, res) => void`, such as an Express or Connect app. */
export type NodeRequestListener = (req: IncomingMessage, res: ServerResponse) => unknown

/**
 * Wraps a Node request listener (an Express or Connect app) as an application for the `http`
 * entry of `ProtocolTypeRouter`, so it serves HTTP on the same port as the consumers. It calls
 * `listener(req, res)` with the request and response the node-channels server put in
 * `scope[kNodeHttp]`, and resolves once the response has finished or its connection closed.
 * The server reads the request body only when an application calls `receive()`, which this
 * wrapper never does, so the listener reads `req` itself. A listener that throws, or returns a
 * promise that rejects before the response is over, rejects the application with that error,
 * and the response is answered with a plain 500 (or cut, if it had already begun).
 * No Channels counterpart (Django serves its own views).
 */
export function fromRequestListener(listener: NodeRequestListener): Application {
  if (typeof listener !== 'function') {
    throw new TypeError(
      `fromRequestListener() expects a request listener function, got ${describe(listener)}.`,
    )
  }
  return async (scope: Scope): Promise<void> => {
    const { req, res } = nodeHttpOf(scope)
    await new Promise<void>((resolve, reject) => {
      let settled = false
      const settle = (error?: { error: unknown }): void => {
        if (settled) return
        settled = true
        res.off('finish', onEnd)
        res.off('close', onEnd)
        if (error === undefined) resolve()
        else reject(error.error)
      }
      const onEnd = (): void => settle()
      // Once the listener has failed, nobody else will answer: the server hands the request
      // over to whoever reads scope[kNodeHttp], so end the response here rather than let the
      // client hang.
      const fail = (error: unknown): void => {
        if (settled) return // The response is over; there is no one left to tell.
        settle({ error })
        abandon(res)
      }
      res.once('finish', onEnd)
      res.once('close', onEnd)
      if (res.writableFinished || res.closed) settle()
      try {
        const result = listener(req, res)
        if (isPromiseLike(result)) result.then(undefined, fail)
      } catch (error) {
        fail(error)
      }
    })
  }
}

// --- helpers ---

const internalErrorBody = 'Internal Server Error\n'

// Answers 500 if nothing was sent yet; cuts a response that had already begun.
function abandon(res: ServerResponse): void {
  if (res.writableEnded || res.destroyed) return
  if (res.headersSent) {
    res.destroy()
    return
  }
  res.writeHead(500, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(internalErrorBody),
  })
  res.end(internalErrorBody)
}

interface NodeHttp {
  req: IncomingMessage
  res: ServerResponse
}

function nodeHttpOf(scope: Scope): NodeHttp {
  if (scope.type !== 'http') {
    throw new TypeError(
      `fromRequestListener() serves only 'http' scopes, got the scope type ${describe(scope.type)}.`,
    )
  }
  const entry: unknown = Reflect.get(scope, kNodeHttp)
  if (entry === undefined) {
    throw new TypeError(
      'The request listener wrapped by fromRequestListener() needs the node-channels protocol ' +
        'server: the scope carries no Node request and response (scope[kNodeHttp]), as under a ' +
        'test communicator.',
    )
  }
  if (!isNodeHttp(entry)) {
    throw new TypeError(
      'fromRequestListener() expects scope[kNodeHttp] to hold { req, res } from node:http.',
    )
  }
  return entry
}

function isNodeHttp(value: unknown): value is NodeHttp {
  if (typeof value !== 'object' || value === null) return false
  const { req, res } = value as Record<string, unknown>
  return (
    typeof req === 'object' &&
    req !== null &&
    typeof res === 'object' &&
    res !== null &&
    typeof Reflect.get(res, 'once') === 'function' &&
    typeof Reflect.get(res, 'off') === 'function'
  )
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof Reflect.get(value, 'then') === 'function'
  )
}

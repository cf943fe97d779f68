import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Application, Receive, Scope, Send } from '@node-channels/core'
import { kNodeHttp } from '@node-channels/core'
import { describe, expect, it, onTestFinished } from 'vitest'
import { ProtocolTypeRouter } from './protocol-type-router.js'
import type { NodeRequestListener } from './request-listener.js'
import { fromRequestListener } from './request-listener.js'
import { path, URLRouter } from './url-router.js'

const receive: Receive = () => Promise.reject(new Error('The wrapper must not call receive().'))
const send: Send = () => Promise.reject(new Error('The wrapper must not call send().'))

interface Served {
  req: IncomingMessage
  res: ServerResponse
  /** Settles like the application did for this request. */
  outcome: Promise<{ ok: true } | { ok: false; error: unknown }>
}

/**
 * A real node:http server on 127.0.0.1, port 0, that builds an HTTP scope by hand (as the
 * protocol server does) with the request and response under kNodeHttp, and runs `app` on it.
 */
async function serve(app: Application): Promise<{ port: number; next: () => Promise<Served> }> {
  const waiting: Array<(served: Served) => void> = []
  const arrived: Served[] = []
  const server = createServer((req, res) => {
    const scope = {
      type: 'http',
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      query_string: '',
      headers: [],
      [kNodeHttp]: { req, res },
    } as Scope
    // Like the protocol server once scope[kNodeHttp] was read, this never touches the response.
    const outcome = app(scope, receive, send).then(
      () => ({ ok: true as const }),
      (error: unknown) => ({ ok: false as const, error }),
    )
    const served = { req, res, outcome }
    const waiter = waiting.shift()
    if (waiter) waiter(served)
    else arrived.push(served)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  const { port } = server.address() as AddressInfo
  const next = (): Promise<Served> => {
    const served = arrived.shift()
    if (served) return Promise.resolve(served)
    return new Promise((resolve) => waiting.push(resolve))
  }
  return { port, next }
}

/** Sends one request and resolves with the response once its connection is done with it. */
function fetchText(
  port: number,
  options: { method?: string; path?: string; body?: string } = {},
): Promise<{ status: number; body: string; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path ?? '/' },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', () => {}) // An aborted response: reported as complete: false below.
        res.on('close', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            complete: res.complete,
          }),
        )
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

describe('fromRequestListener', () => {
  it('calls the listener with the request and response from scope[kNodeHttp]', async () => {
    const seen: Array<[IncomingMessage, ServerResponse]> = []
    const listener: NodeRequestListener = (req, res) => {
      seen.push([req, res])
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        res.setHeader('content-type', 'text/plain')
        res.end(`${req.method} ${req.url} ${Buffer.concat(chunks).toString('utf8')}`)
      })
    }
    const { port, next } = await serve(fromRequestListener(listener))
    const response = fetchText(port, { method: 'POST', path: '/echo?x=1', body: 'hello' })
    const served = await next()
    expect(await response).toEqual({ status: 200, body: 'POST /echo?x=1 hello', complete: true })
    expect(await served.outcome).toEqual({ ok: true })
    expect(seen).toHaveLength(1)
    expect(seen[0]?.[0]).toBe(served.req)
    expect(seen[0]?.[1]).toBe(served.res)
  })

  it('resolves only once the response has finished, not when the listener returns', async () => {
    const order: string[] = []
    const listener: NodeRequestListener = async (req, res) => {
      res.on('finish', () => order.push('finish'))
      req.resume()
      req.on('end', () => res.end('done'))
      order.push('listener returned')
    }
    const app = fromRequestListener(listener)
    const { port, next } = await serve(async (scope, r, s) => {
      await app(scope, r, s)
      order.push('application resolved')
    })
    const response = fetchText(port, { method: 'PUT', body: 'x'.repeat(100_000) })
    const served = await next()
    expect(await served.outcome).toEqual({ ok: true })
    expect((await response).body).toBe('done')
    expect(order).toEqual(['listener returned', 'finish', 'application resolved'])
    expect(served.res.writableFinished).toBe(true)
  })

  it('resolves when the client goes away before any response', async () => {
    let seenRequest: () => void = () => {}
    const requestSeen = new Promise<void>((resolve) => {
      seenRequest = resolve
    })
    // The listener never answers: only the connection closing can end the application.
    const { port, next } = await serve(fromRequestListener(() => seenRequest()))
    const client = request({ host: '127.0.0.1', port, method: 'GET', path: '/hang' })
    const clientClosed = new Promise<void>((resolve) => client.on('close', () => resolve()))
    client.on('error', () => {}) // "socket hang up" is what this test causes on purpose.
    client.end()
    const served = await next()
    await requestSeen
    client.destroy()
    expect(await served.outcome).toEqual({ ok: true })
    expect(served.res.writableFinished).toBe(false)
    await clientClosed
  })

  it('rejects with the error a listener throws, and answers 500 itself', async () => {
    const { port, next } = await serve(
      fromRequestListener(() => {
        throw new RangeError('listener failed')
      }),
    )
    const response = fetchText(port)
    const served = await next()
    expect(await served.outcome).toEqual({ ok: false, error: new RangeError('listener failed') })
    expect(await response).toEqual({
      status: 500,
      body: 'Internal Server Error\n',
      complete: true,
    })
  })

  it('rejects with the error of a listener promise that rejects before the response ends', async () => {
    const { port, next } = await serve(
      fromRequestListener(async () => {
        throw new Error('async listener failed')
      }),
    )
    const response = fetchText(port)
    const served = await next()
    expect(await served.outcome).toEqual({ ok: false, error: new Error('async listener failed') })
    expect((await response).status).toBe(500)
  })

  it('cuts a response that had begun when the listener failed', async () => {
    let clientGotPartial: () => void = () => {}
    const partialArrived = new Promise<void>((resolve) => {
      clientGotPartial = resolve
    })
    const { port, next } = await serve(
      fromRequestListener(async (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' })
        res.write('partial')
        await partialArrived
        throw new Error('failed halfway')
      }),
    )
    const response = new Promise<{ body: string; complete: boolean }>((resolve, reject) => {
      const client = request({ host: '127.0.0.1', port, path: '/' }, (res) => {
        let body = ''
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString('utf8')
          clientGotPartial()
        })
        res.on('error', () => {}) // "aborted": what this test causes on purpose.
        res.on('close', () => resolve({ body, complete: res.complete }))
      })
      client.on('error', reject)
      client.end()
    })
    const served = await next()
    expect(await served.outcome).toEqual({ ok: false, error: new Error('failed halfway') })
    expect(await response).toEqual({ body: 'partial', complete: false })
  })

  it('ignores a rejection that comes after the response has ended', async () => {
    const { port, next } = await serve(
      fromRequestListener(async (_req, res) => {
        await new Promise<void>((resolve) => res.end('ok', resolve))
        throw new Error('too late to matter')
      }),
    )
    const response = fetchText(port)
    expect(await (await next()).outcome).toEqual({ ok: true })
    expect(await response).toEqual({ status: 200, body: 'ok', complete: true })
  })

  it('serves a listener routed by URLRouter under ProtocolTypeRouter (the scope is copied)', async () => {
    const listener: NodeRequestListener = (req, res) => {
      res.end(`api saw ${req.url}`)
    }
    const application = ProtocolTypeRouter({
      http: URLRouter([path('api/*rest', fromRequestListener(listener))]),
    })
    const { port, next } = await serve(application)
    const response = fetchText(port, { path: '/api/users/7' })
    expect(await (await next()).outcome).toEqual({ ok: true })
    expect(await response).toEqual({ status: 200, body: 'api saw /api/users/7', complete: true })
  })

  it('needs the node-channels protocol server', async () => {
    const app = fromRequestListener(() => {})
    const scope = { type: 'http', path: '/', method: 'GET', query_string: '', headers: [] }
    await expect(app(scope as Scope, receive, send)).rejects.toThrow(
      new TypeError(
        'The request listener wrapped by fromRequestListener() needs the node-channels protocol ' +
          'server: the scope carries no Node request and response (scope[kNodeHttp]), as under a ' +
          'test communicator.',
      ),
    )
  })

  it('refuses other scope types and a malformed kNodeHttp entry', async () => {
    const app = fromRequestListener(() => {})
    await expect(app({ type: 'websocket', path: '/' } as Scope, receive, send)).rejects.toThrow(
      new TypeError(
        "fromRequestListener() serves only 'http' scopes, got the scope type 'websocket'.",
      ),
    )
    const malformed = { type: 'http', path: '/', [kNodeHttp]: { req: {} } }
    await expect(app(malformed as Scope, receive, send)).rejects.toThrow(
      new TypeError(
        'fromRequestListener() expects scope[kNodeHttp] to hold { req, res } from node:http.',
      ),
    )
  })

  it('refuses a listener that is not a function', () => {
    expect(() => fromRequestListener({ listen: true } as unknown as NodeRequestListener)).toThrow(
      new TypeError(
        'fromRequestListener() expects a request listener function, got {"listen":true}.',
      ),
    )
  })
})

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { type Application, kNodeHttp, type Scope } from '@node-channels/core'
import { describe, expect, it, onTestFinished } from 'vitest'
import { serve } from '../src/index.js'
import {
  closeOf,
  deferred,
  echoApp,
  httpRequest,
  nextMessage,
  openClient,
  startServer,
  TestLogger,
} from './helpers.js'

function nodeHttpOf(scope: Scope): { req: IncomingMessage; res: ServerResponse } {
  return Reflect.get(scope, kNodeHttp) as { req: IncomingMessage; res: ServerResponse }
}

describe('scope[kNodeHttp]', () => {
  it('hands the raw req/res to an application that writes the response itself', async () => {
    const returned = deferred()
    const app: Application = async (scope) => {
      if (scope.type !== 'http') throw new Error('http only')
      const { req, res } = nodeHttpOf(scope)
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        // The response is written after the application returned: the server must not answer 500.
        void returned.promise.then(() => {
          // The access log takes the size of a raw response from its Content-Length header.
          res.setHeader('content-length', 9 + Buffer.concat(chunks).length)
          res.writeHead(200, { 'content-type': 'text/plain' })
          res.end(`listener:${Buffer.concat(chunks).toString()}`)
        })
      })
    }
    const { port, logger, access } = await startServer(async (scope, receive, send) => {
      await app(scope, receive, send)
      returned.resolve()
    })
    const response = await httpRequest(port, '/raw', { method: 'POST', body: 'the body' })
    expect(response.status).toBe(200)
    expect(response.body.toString()).toBe('listener:the body')
    expect(response.headers.server).toBeUndefined()
    expect(await access.waitFor(/POST/)).toMatch(/"POST \/raw" 200 17$/)
    expect(logger.lines.filter((line) => line.level !== 'debug')).toEqual([])
  })

  it('leaves alone a response the application ended itself before throwing', async () => {
    const app: Application = async (scope) => {
      const { res } = nodeHttpOf(scope)
      res.writeHead(500, { 'content-type': 'text/plain', 'content-length': 4 })
      res.end('mine')
      throw new Error('listener failed')
    }
    const { port, logger } = await startServer(app)
    const response = await httpRequest(port, '/')
    expect(response.status).toBe(500)
    expect(response.body.toString()).toBe('mine')
    expect((await logger.waitFor(/^Exception inside application for HTTP GET \/ from/)).level).toBe(
      'error',
    )
  })

  it('answers 500 when an application that took the request over throws before responding', async () => {
    const app: Application = async (scope) => {
      nodeHttpOf(scope)
      throw new Error('listener failed early')
    }
    const { port } = await startServer(app)
    const response = await httpRequest(port, '/')
    expect(response.status).toBe(500)
    expect(response.body.toString()).toContain('Exception inside application.')
  })

  it('keeps kNodeHttp out of JSON and structuredClone copies of the scope, but in spreads', async () => {
    const seen = deferred<Scope>()
    const { port } = await startServer(async (scope, _receive, send) => {
      seen.resolve(scope)
      await send({ type: 'http.response.start', status: 204, headers: [] })
      await send({ type: 'http.response.body' })
    })
    expect((await httpRequest(port, '/')).status).toBe(204)
    const scope = await seen.promise
    expect(JSON.stringify(scope)).not.toContain('req')
    expect(Reflect.get(structuredClone(scope), kNodeHttp)).toBeUndefined()
    expect(Reflect.get({ ...scope }, kNodeHttp)).toBe(Reflect.get(scope, kNodeHttp))
  })
})

describe('attaching to an existing http.Server', () => {
  it('leaves HTTP to the server’s own listener and serves WebSockets on the same port', async () => {
    const plain = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.end('from the plain listener')
    })
    const handle = await serve(echoApp, { server: plain, port: 0, logger: new TestLogger() })
    onTestFinished(() => handle.close())
    expect(handle.server).toBe(plain)
    const response = await httpRequest(handle.address.port, '/anything')
    expect(response.body.toString()).toBe('from the plain listener')
    const ws = await openClient(`ws://127.0.0.1:${handle.address.port}/ws/`)
    ws.send('shared port')
    expect((await nextMessage(ws))[0].toString()).toBe('shared port')
    const closed = closeOf(ws)
    await handle.close()
    expect((await closed).code).toBe(1001)
    expect(plain.listening).toBe(false)
  })

  it('leaves an already-listening server listening after close()', async () => {
    const plain = createServer((_req, res) => res.end('still mine'))
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve))
    onTestFinished(() => new Promise<void>((resolve) => plain.close(() => resolve())))
    const handle = await serve(echoApp, { server: plain, logger: new TestLogger() })
    expect(handle.url).toBe(`http://127.0.0.1:${handle.address.port}`)
    const ws = await openClient(`ws://127.0.0.1:${handle.address.port}/`)
    const closed = closeOf(ws)
    await handle.close()
    expect((await closed).code).toBe(1001)
    expect(plain.listening).toBe(true)
    expect((await httpRequest(handle.address.port, '/')).body.toString()).toBe('still mine')
  })
})

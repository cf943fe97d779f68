import { request } from 'node:http'
import type { Application } from '@node-channels/core'
import { describe, expect, it, onTestFinished } from 'vitest'
import { startLiveServer } from './live-server.js'

const app: Application = async (scope, receive, send) => {
  if (scope.type === 'lifespan') throw new Error('no lifespan here')
  if (scope.type === 'http') {
    await send({
      type: 'http.response.start',
      status: 200,
      headers: [['content-type', 'text/plain']],
    })
    await send({ type: 'http.response.body', body: new TextEncoder().encode(`live ${scope.path}`) })
    return
  }
  await receive()
  await send({ type: 'websocket.accept' })
  await receive()
}

describe('startLiveServer', () => {
  it('serves the application on 127.0.0.1 and a free port, over HTTP and WebSocket', async () => {
    const server = await startLiveServer(app)
    onTestFinished(() => server.close())
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(server.wsUrl).toBe(server.url.replace('http://', 'ws://'))
    const response = await fetch(`${server.url}/page/`)
    expect(await response.text()).toBe('live /page/')

    // A raw upgrade request: 101 once the application accepts.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.url}/ws/`, {
        headers: {
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
          'sec-websocket-version': '13',
        },
      })
      req.on('upgrade', (res, socket) => {
        socket.destroy()
        resolve(res.statusCode ?? 0)
      })
      req.on('response', (res) => resolve(res.statusCode ?? 0))
      req.on('error', reject)
      req.end()
    })
    expect(status).toBe(101)
  })

  it('stops serving once closed', async () => {
    const server = await startLiveServer(app)
    await server.close()
    await expect(fetch(`${server.url}/`)).rejects.toThrow(TypeError)
  })

  it('refuses options that are not an object', async () => {
    await expect(startLiveServer(app, null as unknown as object)).rejects.toThrow(
      new TypeError('startLiveServer() options must be an object, not null.'),
    )
  })
})

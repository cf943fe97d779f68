import { readFile } from 'node:fs/promises'
import { InMemoryChannelLayer, resetChannelLayers, setChannelLayer } from '@node-channels/core'
import { afterEach, describe, expect, it } from 'vitest'
import { connect } from '../client/node-channels-client.js'
import { BROWSER_CLIENT_PATH, browserClient, longPoll } from '../src/index.js'
import { echoApp, startServer } from './helpers.js'

afterEach(async () => {
  await resetChannelLayers()
})

describe('browserClient', () => {
  it('serves the client module as JavaScript, and refuses other methods with 405', async () => {
    const app = browserClient()
    const { handle } = await startServer(async (scope, receive, send) => {
      if (scope.type === 'lifespan') throw new Error('no lifespan here')
      return app(scope, receive, send)
    })
    const response = await fetch(`${handle.url}/static/node-channels-client.js`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(await response.text()).toBe(await readFile(BROWSER_CLIENT_PATH, 'utf8'))
    const head = await fetch(`${handle.url}/x.js`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    const post = await fetch(`${handle.url}/x.js`, { method: 'POST' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
  })

  it('falls back to long polling where WebSocket is missing (Node 20), and echoes', async () => {
    setChannelLayer(new InMemoryChannelLayer())
    const transport = longPoll(echoApp, { pollTimeoutMs: 500 })
    const { handle } = await startServer(async (scope, receive, send) => {
      if (scope.type === 'lifespan') throw new Error('no lifespan here')
      if (scope.type === 'http') return transport(scope, receive, send)
      return echoApp(scope, receive, send)
    })
    expect(typeof (globalThis as { WebSocket?: unknown }).WebSocket).toBe('undefined')
    const socket = connect(`${handle.url.replace('http', 'ws')}/echo/`, { reconnect: false })
    const events: string[] = []
    const done = new Promise<void>((resolve) => {
      socket.onopen = () => {
        events.push(`open:${socket.transport}`)
        socket.send('hello')
      }
      socket.onmessage = (event) => {
        events.push(String(event.data))
        socket.close(1000)
      }
      socket.onclose = (event) => {
        events.push(`close:${event.code}:${event.willReconnect}`)
        resolve()
      }
    })
    await done
    expect(events).toEqual(['open:long-poll', 'hello', 'close:1000:false'])
    expect(socket.readyState).toBe(3)
  })

  it('refuses a URL that is not ws:// or wss://, and unknown transports', () => {
    expect(() => connect('ftp://x/')).toThrow(
      new SyntaxError('connect() needs a ws:// or wss:// URL, not "ftp://x/".'),
    )
    expect(() =>
      connect('ws://127.0.0.1:1/', { transports: ['carrier-pigeon' as 'websocket'] }),
    ).toThrow(new TypeError('Unknown transport "carrier-pigeon": use "websocket" or "long-poll".'))
  })
})

// Server-sent events over a real server: a raw HTTP client reading the stream receives the
// same group messages as a WebSocket client, and an open stream does not hold up shutdown.
import { type IncomingMessage, request } from 'node:http'
import {
  getChannelLayer,
  type Message,
  resetChannelLayers,
  ServerSentEventsConsumer,
  WebsocketConsumer,
} from '@node-channels/core'
import { ProtocolTypeRouter, path, URLRouter } from '@node-channels/router'
import { serve } from '@node-channels/server'
import { afterEach, describe, expect, it, onTestFinished } from 'vitest'
import { WebSocket } from 'ws'

afterEach(async () => {
  await resetChannelLayers()
})

/** Both kinds of client join the room's group and turn `room.news` into what they send. */
class RoomSocket extends WebsocketConsumer {
  override groups = ['room-1']
  async room_news(message: Message): Promise<void> {
    await this.send({ textData: String(message.text) })
  }
}

class RoomFeed extends ServerSentEventsConsumer {
  override groups = ['room-1']
  async room_news(message: Message): Promise<void> {
    await this.sendEvent({ event: 'news', data: { text: message.text }, id: String(message.n) })
  }
}

const application = ProtocolTypeRouter({
  http: URLRouter([path('events/', RoomFeed.asAsgi())]),
  websocket: URLRouter([path('ws/', RoomSocket.asAsgi())]),
})

/** Opens an SSE stream with a raw HTTP request and yields each complete event block. */
async function openStream(
  url: string,
): Promise<{ response: IncomingMessage; next(): Promise<string> }> {
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream' } }, resolve)
    req.on('error', reject)
    req.end()
  })
  onTestFinished(() => {
    response.destroy()
  })
  let buffer = ''
  const blocks: string[] = []
  const waiters: Array<() => void> = []
  response.setEncoding('utf8')
  response.on('data', (chunk: string) => {
    buffer += chunk
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      blocks.push(buffer.slice(0, end + 2))
      buffer = buffer.slice(end + 2)
    }
    for (const wake of waiters.splice(0)) wake()
  })
  const next = async (): Promise<string> => {
    const deadline = Date.now() + 2000
    while (blocks.length === 0) {
      if (Date.now() > deadline) throw new Error('no event within 2 s')
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100)
        waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
    return blocks.shift() as string
  }
  return { response, next }
}

describe('ServerSentEventsConsumer over a real server', () => {
  it('delivers a groupSend to an SSE client like to a WebSocket client', async () => {
    const handle = await serve(application, { port: 0 })
    onTestFinished(() => handle.close())
    const stream = await openStream(`${handle.url}/events/`)
    expect(stream.response.statusCode).toBe(200)
    expect(stream.response.headers['content-type']).toBe('text/event-stream; charset=utf-8')
    expect(stream.response.headers['cache-control']).toBe('no-cache')
    expect(stream.response.headers['transfer-encoding']).toBe('chunked')
    expect(await stream.next()).toBe(':\n\n')

    const ws = new WebSocket(`${handle.url.replace('http', 'ws')}/ws/`)
    onTestFinished(() => ws.close())
    const frame = new Promise<string>((resolve) =>
      ws.once('message', (data) => resolve(String(data))),
    )
    await new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
    })

    await getChannelLayer()?.groupSend('room-1', {
      type: 'room.news',
      text: 'line 1\nline 2',
      n: 1,
    })
    expect(await frame).toBe('line 1\nline 2')
    expect(await stream.next()).toBe('id: 1\nevent: news\ndata: {"text":"line 1\\nline 2"}\n\n')
  })

  it('ends open streams promptly when the server shuts down', async () => {
    const handle = await serve(application, { port: 0, applicationCloseTimeoutMs: 5000 })
    const stream = await openStream(`${handle.url}/events/`)
    const ended = new Promise((resolve) => stream.response.on('end', resolve))
    const startedAt = Date.now()
    await handle.close()
    await ended
    expect(Date.now() - startedAt).toBeLessThan(2000)
  })
})

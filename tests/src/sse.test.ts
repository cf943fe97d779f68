// Server-sent events over a real server: a raw HTTP client reading the stream receives the
// same group messages as a WebSocket client, and an open stream does not hold up shutdown.
import {
  getChannelLayer,
  type Message,
  resetChannelLayers,
  ServerSentEventsConsumer,
  WebsocketConsumer,
} from '@node-channels/core'
import { ProtocolTypeRouter, path, URLRouter } from '@node-channels/router'
import { serve } from '@node-channels/server'
import { openEventStream } from '@node-channels/test-support/event-stream'
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

/** Opens an SSE stream (Accept: text/event-stream) and queues each complete event block. */
const openStream = (url: string) => openEventStream(url, { accept: 'text/event-stream' })

describe('ServerSentEventsConsumer over a real server', () => {
  it('delivers a groupSend to an SSE client like to a WebSocket client', async () => {
    const handle = await serve(application, { port: 0 })
    onTestFinished(() => handle.close())
    const stream = await openStream(`${handle.url}/events/`)
    expect(stream.response.statusCode).toBe(200)
    expect(stream.response.headers['content-type']).toBe('text/event-stream; charset=utf-8')
    expect(stream.response.headers['cache-control']).toBe('no-cache')
    expect(stream.response.headers['transfer-encoding']).toBe('chunked')
    expect(await stream.events.next()).toBe(':\n\n')

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
    expect(await stream.events.next()).toBe(
      'id: 1\nevent: news\ndata: {"text":"line 1\\nline 2"}\n\n',
    )
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

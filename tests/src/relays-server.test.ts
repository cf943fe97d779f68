// Relays behind the real server: a group of consumers that relay chat.message and consumers
// that handle it, fed by one client's frames. Every client must get every message, in the
// order it was sent, whichever path it took, and the sender its receipt before the message.
import {
  InMemoryChannelLayer,
  type Message,
  resetChannelLayers,
  setChannelLayer,
  WebsocketConsumer,
  type WebsocketFrame,
} from '@node-channels/core'
import { channelLayerFromUrl } from '@node-channels/redis'
import { ProtocolTypeRouter, path, URLRouter } from '@node-channels/router'
import { serve } from '@node-channels/server'
import { redisNeeded, uniqueRedisUrl } from '@node-channels/test-support/redis'
import { afterEach, describe, expect, it, onTestFinished } from 'vitest'
import { WebSocket } from 'ws'

afterEach(() => resetChannelLayers())

const redisAvailable = await redisNeeded()

let relayed = 0

/** The tutorial chat: every frame is group-sent, after a receipt to its sender. */
class Chat extends WebsocketConsumer {
  override groups = ['room']

  override async receive({ textData }: WebsocketFrame): Promise<void> {
    await this.send({ textData: `sent ${textData}` })
    await this.channelLayer?.groupSend('room', { type: 'chat.message', text: textData })
  }
}

/** Relays chat.message to its client. */
class RelayingChat extends Chat {
  static override relays = {
    'chat.message': (event: Message) => {
      relayed += 1
      return { textData: `got ${String(event.text)}` }
    },
  }
}

/** Handles chat.message with a method, as the Channels tutorial does. */
class HandlingChat extends Chat {
  async chat_message(event: Message): Promise<void> {
    await this.send({ textData: `got ${String(event.text)}` })
  }
}

/** Serves each consumer class at `/<name>/` until the test ends; returns the ws:// base URL. */
async function serveRoutes(routes: Record<string, typeof Chat>): Promise<string> {
  const application = ProtocolTypeRouter({
    websocket: URLRouter(
      Object.entries(routes).map(([name, consumer]) => path(`${name}/`, consumer.asAsgi())),
    ),
  })
  const quiet = { debug() {}, warn() {}, error() {} }
  const handle = await serve(application, { host: '127.0.0.1', port: 0, logger: quiet })
  onTestFinished(() => handle.close())
  return handle.url.replace('http', 'ws')
}

/** Opens a client and collects its frames. */
async function client(url: string): Promise<{ ws: WebSocket; frames: string[] }> {
  const ws = new WebSocket(url)
  const frames: string[] = []
  ws.on('message', (data) => frames.push(String(data)))
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  return { ws, frames }
}

/** Waits until `check()` holds, for at most `timeoutMs`. */
async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting for the frames')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

describe('relays behind the server', () => {
  it('deliver every group message in order, to relaying and handling members alike', async () => {
    setChannelLayer(new InMemoryChannelLayer())
    const base = await serveRoutes({ relay: RelayingChat, handle: HandlingChat })
    const clients = await Promise.all([
      client(`${base}/relay/`),
      client(`${base}/relay/`),
      client(`${base}/relay/`),
      client(`${base}/handle/`),
      client(`${base}/handle/`),
    ])
    const [sender] = clients
    if (sender === undefined) throw new Error('no sender')
    // Wait until all five joined: the sender's first message reaches every one of them.
    sender.ws.send('hello')
    await until(() => clients.every((c) => c.frames.includes('got hello')))
    relayed = 0
    const texts = Array.from({ length: 50 }, (_, i) => `m${i}`)
    // One write: the server reads the burst in one turn, as a busy client's frames arrive.
    for (const text of texts) sender.ws.send(text)
    const expected = texts.map((text) => `got ${text}`)
    await until(() => clients.every((c) => c.frames.length >= (c === sender ? 2 : 1) + 50))
    for (const c of clients) {
      expect(c.frames.filter((frame) => frame.startsWith('got m'))).toEqual(expected)
    }
    // The sender's receipt for each message precedes the message's relay to it (its next
    // frames from the client may come in between: they arrived first).
    for (const text of texts) {
      expect(sender.frames.indexOf(`sent ${text}`)).toBeLessThan(
        sender.frames.indexOf(`got ${text}`),
      )
    }
    // Built once per group send for the relaying members (the idle ones take the fast path,
    // and the memo serves them all), never once per member.
    expect(relayed).toBeGreaterThanOrEqual(50)
    expect(relayed).toBeLessThan(50 * 3)
    for (const c of clients) c.ws.close()
  })
})

/** Relays chat.message, on the layer of alias "a" or "b" (two processes, as far as the layer knows). */
class RelayingOnA extends RelayingChat {
  static override channelLayerAlias = 'a'
}
class RelayingOnB extends RelayingChat {
  static override channelLayerAlias = 'b'
}
/** Sends into the group from process "a", relaying nothing itself. */
class SenderOnA extends HandlingChat {
  static override channelLayerAlias = 'a'
}

describe.skipIf(!redisAvailable).each([
  ['RedisChannelLayer', ''],
  ['RedisPubSubChannelLayer', '&layer=pubsub'],
])('relays across two %s instances behind the server', (_name, query) => {
  it('reach every member on both, built once per group message in each', async () => {
    const url = `${uniqueRedisUrl('relays')}${query}`
    const [a, b] = [channelLayerFromUrl(url), channelLayerFromUrl(url)]
    onTestFinished(async () => {
      await Promise.all([a.close(), b.close()])
    })
    setChannelLayer(a, 'a')
    setChannelLayer(b, 'b')
    const base = await serveRoutes({ a: RelayingOnA, b: RelayingOnB, send: SenderOnA })
    const members = await Promise.all(
      ['a', 'a', 'b', 'b', 'b'].map((route) => client(`${base}/${route}/`)),
    )
    const sender = await client(`${base}/send/`)
    sender.ws.send('hello')
    await until(() => members.every((c) => c.frames.includes('got hello')))
    relayed = 0
    const texts = Array.from({ length: 20 }, (_, i) => `m${i}`)
    for (const text of texts) sender.ws.send(text)
    // The sender is a member too: its last frames may come after the others' (it also gets
    // a receipt per message).
    const everyone = [...members, sender]
    const received = (c: (typeof everyone)[number]): string[] =>
      c.frames.filter((frame) => frame.startsWith('got m'))
    await until(() => everyone.every((c) => received(c).length >= texts.length))
    for (const c of everyone) {
      expect(received(c)).toEqual(texts.map((text) => `got ${text}`))
    }
    // Each process builds a message's relay once for its idle members: never once per member.
    expect(relayed).toBe(2 * texts.length)
    for (const c of everyone) c.ws.close()
  })
})

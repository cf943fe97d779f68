// Message types aimed at framework methods, sent over the channel layer (say, by code that
// forwards a client-chosen `type` to a group). Dispatch only reaches snake_case handlers
// with an underscore, never inherited ones: every such type ends the consumer with
// NoHandlerError (socket closed 1011) without calling the method.
import {
  getChannelLayer,
  type Message,
  WebsocketConsumer,
  type WebsocketSendOptions,
} from '@node-channels/core'
import { path } from '@node-channels/router'
import { afterEach, describe, expect, it, onTestFinished } from 'vitest'
import { WebSocket } from 'ws'
import { echoAnd, startServer } from './harness.js'
import { underAttack } from './under-attack.js'

/** Framework methods the consumer calls, recorded once the connection is set up. */
const calls: string[] = []
let recording = false

/** Joins the group named in its path, and records every call to its framework methods. */
class RoomConsumer extends WebsocketConsumer {
  override async connect(): Promise<void> {
    const room = this.scope.url_route?.kwargs.room ?? ''
    await this.channelLayer?.groupAdd(room, this.channelName)
    await this.accept()
    await this.send({ textData: 'joined' })
    recording = true
  }

  override accept(...args: Parameters<WebsocketConsumer['accept']>): Promise<void> {
    if (recording) calls.push('accept')
    return super.accept(...args)
  }

  override send(options: WebsocketSendOptions): Promise<void> {
    if (recording) calls.push('send')
    return super.send(options)
  }

  override close(...args: Parameters<WebsocketConsumer['close']>): Promise<void> {
    if (recording) calls.push('close')
    return super.close(...args)
  }

  override receive(): void {
    if (recording) calls.push('receive')
  }

  override disconnect(code: number): void {
    if (recording) calls.push(`disconnect ${code}`)
  }

  /** The one application handler: relays chat messages to the client. */
  async chat_message(message: Message): Promise<void> {
    recording = false
    await this.send({ textData: String(message.text) })
    recording = true
  }
}

let rooms = 0

const { server } = underAttack(() =>
  startServer(echoAnd(path('ws/room/:room/', RoomConsumer.asAsgi()))),
)

afterEach(async () => {
  recording = false
  calls.length = 0
})

interface Joined {
  room: string
  ws: WebSocket
  texts: string[]
  closed: Promise<{ code: number; reason: string }>
}

/** Connects a client to a room of its own and waits until the consumer has joined it. */
async function joinRoom(): Promise<Joined> {
  const room = `room${++rooms}`
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws/room/${room}/`)
  onTestFinished(() => ws.terminate())
  const texts: string[] = []
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code: number, reason: Buffer) =>
      resolve({ code, reason: reason.toString('utf8') }),
    ),
  )
  await new Promise<void>((resolve, reject) => {
    ws.on('message', (data: Buffer) => {
      texts.push(data.toString('utf8'))
      if (texts.length === 1) resolve()
    })
    ws.once('error', reject)
  })
  expect(texts).toEqual(['joined'])
  return { room, ws, texts, closed }
}

/** Framework methods and inherited names: none of them may be reached by a message type. */
const HOSTILE_TYPES = [
  'close',
  'accept',
  'send',
  'receive',
  'dispatch',
  'baseSend',
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
  'Chat.Message',
  'chat..message',
  '.chat.message',
  // Valid handler names (they contain an underscore once the dots are replaced), but the
  // consumer defines no such method: `websocket.accept` can never make it accept again,
  // `websocket.send` never makes it send, `websocket.close` never closes it politely.
  'websocket.accept',
  'websocket.send',
  'websocket.close',
  'chat.message.extra',
]

describe('message types aimed at framework methods, over the channel layer', () => {
  it('relays an ordinary chat.message (the control case)', async () => {
    const joined = await joinRoom()
    const relayed = new Promise<string>((resolve) =>
      joined.ws.once('message', (data: Buffer) => resolve(data.toString('utf8'))),
    )
    await getChannelLayer()?.groupSend(joined.room, { type: 'chat.message', text: 'hello' })
    expect(await relayed).toBe('hello')
    expect(calls).toEqual([])
  })

  it.each(HOSTILE_TYPES)(
    'refuses %j: no method runs, the consumer ends with 1011',
    async (type) => {
      const joined = await joinRoom()
      await getChannelLayer()?.groupSend(joined.room, { type })
      expect(await joined.closed).toEqual({ code: 1011, reason: 'Internal server error' })
      expect(calls).toEqual([])
      const line = await server.logger.waitFor(
        new RegExp(
          `/ws/room/${joined.room}/ .*NoHandlerError|/ws/room/${joined.room}/.* TypeError`,
        ),
      )
      expect(line).toMatch(/^error: Exception inside application for WebSocket \/ws\/room\//)
      expect(joined.texts).toEqual(['joined'])
    },
  )

  // The two server events that are real handlers. Whoever can send to a consumer's channel
  // is trusted like the server: forwarding a client-chosen type would let a client forge them.
  it('runs a forged websocket.disconnect like a real one (the consumer ends, the socket closes 1000)', async () => {
    const joined = await joinRoom()
    await getChannelLayer()?.groupSend(joined.room, { type: 'websocket.disconnect', code: 4000 })
    expect(await joined.closed).toEqual({ code: 1000, reason: '' })
    expect(calls).toEqual(['disconnect 4000'])
  })

  it('runs a forged websocket.receive like a frame from the client', async () => {
    const joined = await joinRoom()
    await getChannelLayer()?.groupSend(joined.room, { type: 'websocket.receive', text: 'forged' })
    await getChannelLayer()?.groupSend(joined.room, { type: 'chat.message', text: 'after' })
    await new Promise<void>((resolve) => joined.ws.once('message', () => resolve()))
    expect(calls).toEqual(['receive'])
  })
})

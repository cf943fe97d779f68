// The room's server-sent events feed over the real server: a raw HTTP client reading
// /chat/<room>/events sees what a WebSocket member says in the room, and nothing else.
import { type IncomingMessage, request } from 'node:http'
import { InMemoryChannelLayer, setChannelLayer } from '@node-channels/core'
import { serve } from '@node-channels/server'
import { describe, expect, it, onTestFinished } from 'vitest'
import { createApplication } from './application.js'
import { chatRouter, join } from './chat-client.test-util.js'
import { InMemoryHistoryStore } from './history.js'

/** Opens the feed and yields its events (comment-only blocks skipped), parsed into fields. */
async function openFeed(url: string) {
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(url, resolve)
    req.on('error', reject)
    req.end()
  })
  onTestFinished(() => {
    response.destroy()
  })
  response.setEncoding('utf8')
  let buffer = ''
  const events: Array<Record<string, string>> = []
  const waiters: Array<() => void> = []
  response.on('data', (chunk: string) => {
    buffer += chunk
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const fields: Record<string, string> = {}
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue
        const colon = line.indexOf(': ')
        fields[line.slice(0, colon)] = line.slice(colon + 2)
      }
      if (fields.data !== undefined) events.push(fields)
    }
    for (const wake of waiters.splice(0)) wake()
  })
  const next = async (): Promise<Record<string, string>> => {
    const deadline = Date.now() + 2000
    while (events.length === 0) {
      if (Date.now() > deadline) throw new Error('no event within 2 s')
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100)
        waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
    return events.shift() as Record<string, string>
  }
  return { response, next, pending: () => events.length }
}

async function start() {
  setChannelLayer(new InMemoryChannelLayer())
  const history = new InMemoryHistoryStore()
  const handle = await serve(createApplication({ history, allowedHosts: ['127.0.0.1'] }), {
    port: 0,
  })
  onTestFinished(() => handle.close())
  return { handle, history }
}

describe('the room feed (/chat/<room>/events)', () => {
  it('streams what members say in the room as server-sent events', async () => {
    const { handle, history } = await start()
    const feed = await openFeed(`${handle.url}/chat/lobby/events`)
    expect(feed.response.statusCode).toBe(200)
    expect(feed.response.headers['content-type']).toBe('text/event-stream; charset=utf-8')

    const ada = await join(chatRouter(history), 'lobby', 'Ada')
    const elsewhere = await join(chatRouter(history), 'kitchen', 'Bob')
    await elsewhere.say('not for the lobby')
    await ada.say('hello, feed')
    const said = await ada.nextOf('message')
    const event = await feed.next()
    expect(event.event).toBe('message')
    expect(event.id).toBe(said.id)
    expect(JSON.parse(event.data ?? '')).toEqual({
      id: said.id,
      authorId: ada.me.id,
      nickname: 'Ada',
      message: 'hello, feed',
      sentAt: said.sentAt,
    })
    // The kitchen's message never reached the lobby's feed; presence traffic sends nothing.
    expect(feed.pending()).toBe(0)
  })

  it('answers 404 with the reason for a room name the chat refuses', async () => {
    const { handle } = await start()
    const response = await fetch(`${handle.url}/chat/a.b/events`)
    expect(response.status).toBe(404)
    expect(await response.text()).toBe('A room name can hold only letters, digits, "_" and "-".\n')
  })
})

// The room's server-sent events feed over the real server: a raw HTTP client reading
// /chat/<room>/events sees what a WebSocket member says in the room, and nothing else.
import { InMemoryChannelLayer, setChannelLayer } from '@node-channels/core'
import { serve } from '@node-channels/server'
import { openEventStream } from '@node-channels/test-support/event-stream'
import { describe, expect, it, onTestFinished } from 'vitest'
import { createApplication } from './application.js'
import { chatRouter, join } from './chat-client.test-util.js'
import { InMemoryHistoryStore } from './history.js'

/** The fields of an event block, or undefined for a comment-only one (a keep-alive). */
function fieldsOf(block: string): Record<string, string> | undefined {
  const fields: Record<string, string> = {}
  for (const line of block.slice(0, -2).split('\n')) {
    if (line.startsWith(':')) continue
    const colon = line.indexOf(': ')
    fields[line.slice(0, colon)] = line.slice(colon + 2)
  }
  return fields.data === undefined ? undefined : fields
}

/** Opens the feed and queues its events (comment-only blocks skipped), parsed into fields. */
const openFeed = (url: string) => openEventStream(url, {}, fieldsOf)

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
    const event = await feed.events.next()
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
    expect(feed.events.size).toBe(0)
  })

  it('answers 404 with the reason for a room name the chat refuses', async () => {
    const { handle } = await start()
    const response = await fetch(`${handle.url}/chat/a.b/events`)
    expect(response.status).toBe(404)
    expect(await response.text()).toBe('A room name can hold only letters, digits, "_" and "-".\n')
  })
})

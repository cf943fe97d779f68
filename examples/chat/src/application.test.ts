import { ApplicationCommunicator, WebsocketCommunicator } from '@node-channels/testing'
import { describe, expect, it } from 'vitest'
import { createApplication } from './application.js'
import { inMemoryLayerPerTest } from './chat-client.test-util.js'
import { InMemoryHistoryStore } from './history.js'
import { loadSettings } from './settings.js'

inMemoryLayerPerTest()

describe('createApplication: the WebSocket origin check', () => {
  const { allowedHosts } = loadSettings({ CHAT_ALLOWED_HOSTS: 'chat.example.com' })
  const app = createApplication({ history: new InMemoryHistoryStore(), allowedHosts })
  const connect = async (origin: string | null) => {
    const communicator = new WebsocketCommunicator(app, '/ws/chat/lobby/', {
      headers: origin === null ? [] : [['origin', origin]],
    })
    const result = await communicator.connect()
    await communicator.disconnect()
    return result
  }

  it.each([
    ['http://127.0.0.1:8000'],
    ['http://localhost:5173'],
    ['http://[::1]:8000'],
    ['https://chat.example.com'],
  ])('accepts a socket from %s', async (origin) => {
    expect(await connect(origin)).toEqual([true, null])
  })

  it.each([['http://evil.example'], ['https://chat.example.com.evil.example'], ['null'], [null]])(
    'refuses a socket from %s (HTTP 403)',
    async (origin) => {
      expect(await connect(origin)).toEqual([false, 1000])
    },
  )
})

describe('createApplication: lifespan', () => {
  it('closes the history store on shutdown', async () => {
    const history = new InMemoryHistoryStore()
    let closed = 0
    history.close = async () => {
      closed += 1
    }
    const app = createApplication({ history, allowedHosts: [] })
    const lifespan = new ApplicationCommunicator(app, { type: 'lifespan' })
    await lifespan.sendInput({ type: 'lifespan.startup' })
    expect(await lifespan.receiveOutput()).toEqual({ type: 'lifespan.startup.complete' })
    expect(closed).toBe(0)
    await lifespan.sendInput({ type: 'lifespan.shutdown' })
    expect(await lifespan.receiveOutput()).toEqual({ type: 'lifespan.shutdown.complete' })
    await lifespan.wait()
    expect(closed).toBe(1)
  })

  it('reports a history store that fails to close', async () => {
    const history = new InMemoryHistoryStore()
    history.close = async () => {
      throw new Error('Connection is closed.')
    }
    const lifespan = new ApplicationCommunicator(createApplication({ history, allowedHosts: [] }), {
      type: 'lifespan',
    })
    await lifespan.sendInput({ type: 'lifespan.startup' })
    await lifespan.receiveOutput()
    await lifespan.sendInput({ type: 'lifespan.shutdown' })
    expect(await lifespan.receiveOutput()).toEqual({
      type: 'lifespan.shutdown.failed',
      message: 'Connection is closed.',
    })
  })
})

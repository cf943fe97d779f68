// The WebSocket consumer's exact messages and lifecycle (checklist §3.3 item 2), beyond the
// ported Channels tests: message shapes, Accept/DenyConnection, groups, clean-up on a crash.
import {
  AcceptConnection,
  DenyConnection,
  InMemoryChannelLayer,
  InvalidChannelLayerError,
  type Message,
  resetChannelLayers,
  setChannelLayer,
  WebsocketConsumer,
  type WebsocketSendOptions,
} from '@node-channels/core'
import { WebsocketCommunicator } from '@node-channels/testing'
import { afterEach, describe, expect, it } from 'vitest'

afterEach(async () => {
  await resetChannelLayers()
})

function useMemoryLayer(): InMemoryChannelLayer {
  const layer = new InMemoryChannelLayer()
  setChannelLayer(layer)
  return layer
}

/** A consumer whose received frames name what to do (JSON), with sync handlers throughout. */
class Scripted extends WebsocketConsumer {
  override receive({ textData }: { textData?: string }): void {
    const step = JSON.parse(textData ?? '{}') as {
      send?: WebsocketSendOptions & { text?: string; bytes?: string }
      close?: Record<string, unknown>
    }
    if (step.send) {
      const { text, bytes, ...rest } = step.send
      this.send({
        ...rest,
        ...(text !== undefined ? { textData: text } : {}),
        ...(bytes !== undefined ? { bytesData: new TextEncoder().encode(bytes) } : {}),
      })
    }
    if (step.close) this.close(step.close)
  }
}

async function connected(app = Scripted.asAsgi()): Promise<WebsocketCommunicator> {
  const communicator = new WebsocketCommunicator(app, '/ws/')
  expect(await communicator.connect()).toEqual([true, null])
  return communicator
}

describe('accept()', () => {
  it('is what the default connect() sends: subprotocol always present, null when none', async () => {
    const communicator = new WebsocketCommunicator(WebsocketConsumer.asAsgi(), '/ws/')
    await communicator.sendInput({ type: 'websocket.connect' })
    expect(await communicator.receiveOutput()).toStrictEqual({
      type: 'websocket.accept',
      subprotocol: null,
    })
    await communicator.disconnect()
  })

  it.each([
    [{ subprotocol: 'chat' }, { type: 'websocket.accept', subprotocol: 'chat' }],
    [{ headers: [] }, { type: 'websocket.accept', subprotocol: null }],
    [
      { subprotocol: 'v2', headers: [['x-a', 'b']] },
      { type: 'websocket.accept', subprotocol: 'v2', headers: [['x-a', 'b']] },
    ],
  ])('accept(%j) sends %j', async (options, expected) => {
    class Accepting extends WebsocketConsumer {
      override connect(): void {
        this.accept(options as Parameters<WebsocketConsumer['accept']>[0])
      }
    }
    const communicator = new WebsocketCommunicator(Accepting.asAsgi(), '/ws/')
    await communicator.sendInput({ type: 'websocket.connect' })
    expect(await communicator.receiveOutput()).toStrictEqual(expected)
    await communicator.disconnect()
  })
})

describe('close()', () => {
  it.each([
    [{}, { type: 'websocket.close' }],
    [{ code: true }, { type: 'websocket.close' }],
    [{ code: null }, { type: 'websocket.close' }],
    [{ code: 4000 }, { type: 'websocket.close', code: 4000 }],
    [{ reason: '' }, { type: 'websocket.close' }],
    [
      { code: 1001, reason: 'bye' },
      { type: 'websocket.close', code: 1001, reason: 'bye' },
    ],
  ])('close(%j) sends %j', async (options, expected) => {
    const communicator = await connected()
    await communicator.sendTo({ textData: JSON.stringify({ close: options }) })
    expect(await communicator.receiveOutput()).toStrictEqual(expected)
    await communicator.disconnect()
  })
})

describe('send()', () => {
  it.each([
    [{ text: 'hi', bytes: 'ignored' }, [{ type: 'websocket.send', text: 'hi' }]],
    [{ text: '' }, [{ type: 'websocket.send', text: '' }]],
    [{ bytes: 'ab' }, [{ type: 'websocket.send', bytes: new TextEncoder().encode('ab') }]],
    [
      { text: 'last', close: true },
      [{ type: 'websocket.send', text: 'last' }, { type: 'websocket.close' }],
    ],
    [
      { text: 'last', close: 4000 },
      [
        { type: 'websocket.send', text: 'last' },
        { type: 'websocket.close', code: 4000 },
      ],
    ],
  ])('send(%j) sends %j (text wins over bytes)', async (step, expected) => {
    const communicator = await connected()
    await communicator.sendTo({ textData: JSON.stringify({ send: step }) })
    for (const message of expected) expect(await communicator.receiveOutput()).toEqual(message)
    expect(await communicator.receiveNothing()).toBe(true)
    await communicator.disconnect()
  })

  it('ends the consumer with Django’s error when given neither text nor bytes, even unawaited', async () => {
    const communicator = await connected()
    await communicator.sendTo({ textData: JSON.stringify({ send: {} }) })
    await expect(communicator.receiveOutput()).rejects.toThrow(
      new TypeError('You must pass one of bytesData or textData'),
    )
  })
})

describe('connect()', () => {
  it('accepts when connect() raises AcceptConnection', async () => {
    class Acceptor extends WebsocketConsumer {
      override connect(): void {
        throw new AcceptConnection()
      }
    }
    const communicator = new WebsocketCommunicator(Acceptor.asAsgi(), '/ws/')
    expect(await communicator.connect()).toEqual([true, null])
    await communicator.disconnect()
  })

  it('refuses when connect() raises DenyConnection; the consumer runs until disconnect', async () => {
    const disconnected: number[] = []
    class Denier extends WebsocketConsumer {
      override connect(): void {
        throw new DenyConnection()
      }
      override disconnect(code: number): void {
        disconnected.push(code)
      }
    }
    const communicator = new WebsocketCommunicator(Denier.asAsgi(), '/ws/')
    expect(await communicator.connect()).toEqual([false, 1000])
    await communicator.disconnect(1006)
    expect(disconnected).toEqual([1006])
  })

  it('reports the close code of a refusal', async () => {
    class Refuser extends WebsocketConsumer {
      override connect(): void {
        this.close({ code: 4003 })
      }
    }
    const communicator = new WebsocketCommunicator(Refuser.asAsgi(), '/ws/')
    expect(await communicator.connect()).toEqual([false, 4003])
    await communicator.disconnect()
  })
})

describe('groups', () => {
  it('are joined before connect() runs, so a denied connection is in them until disconnect', async () => {
    const layer = useMemoryLayer()
    const seenInConnect: string[][] = []
    class Room extends WebsocketConsumer {
      override groups = ['room', 'lobby']
      override connect(): void {
        seenInConnect.push([...layer.groups.keys()])
        throw new DenyConnection()
      }
    }
    const communicator = new WebsocketCommunicator(Room.asAsgi(), '/ws/')
    expect(await communicator.connect()).toEqual([false, 1000])
    expect(seenInConnect).toEqual([['room', 'lobby']])
    expect([...layer.groups.keys()]).toEqual(['room', 'lobby'])
    await communicator.disconnect()
    expect(layer.groups.size).toBe(0)
    expect(layer.channels.size).toBe(0)
  })

  it('need a channel layer: without one, connecting fails with InvalidChannelLayerError', async () => {
    setChannelLayer(null)
    class Room extends WebsocketConsumer {
      override groups = ['room']
    }
    const communicator = new WebsocketCommunicator(Room.asAsgi(), '/ws/')
    await expect(communicator.connect()).rejects.toThrow(
      new InvalidChannelLayerError("BACKEND is unconfigured or doesn't support groups"),
    )
  })

  it('are left when a handler crashes, including groups joined by hand in connect()', async () => {
    const layer = useMemoryLayer()
    class Tutorial extends WebsocketConsumer {
      override groups = ['announcements']
      override async connect(): Promise<void> {
        await this.channelLayer?.groupAdd('chat_lobby', this.channelName)
        await this.accept()
      }
      override receive(): void {
        throw new RangeError('bad frame')
      }
    }
    const communicator = new WebsocketCommunicator(Tutorial.asAsgi(), '/ws/')
    await communicator.connect()
    expect([...layer.groups.keys()]).toEqual(['announcements', 'chat_lobby'])
    await communicator.sendTo({ textData: 'boom' })
    await expect(communicator.wait()).rejects.toThrow(new RangeError('bad frame'))
    expect(layer.groups.size).toBe(0)
    expect(layer.channels.size).toBe(0)
  })
})

describe('cancellation', () => {
  it('leaves its groups when a communicator timeout cancels it', async () => {
    const layer = useMemoryLayer()
    class Silent extends WebsocketConsumer {
      override groups = ['quiet']
    }
    const communicator = new WebsocketCommunicator(Silent.asAsgi(), '/ws/')
    await communicator.connect()
    expect([...layer.groups.keys()]).toEqual(['quiet'])
    await expect(communicator.receiveFrom({ timeoutMs: 10 })).rejects.toThrow(
      /timed out after 10 ms/,
    )
    expect(layer.groups.size).toBe(0)
    expect(layer.channels.size).toBe(0)
  })
})

describe('websocket_disconnect / websocket_receive', () => {
  it('reports a disconnect without a code as 1005, then ends', async () => {
    const codes: number[] = []
    class Recorder extends WebsocketConsumer {
      override disconnect(code: number): void {
        codes.push(code)
      }
    }
    const communicator = await connected(Recorder.asAsgi())
    await communicator.sendInput({ type: 'websocket.disconnect' })
    await communicator.wait()
    expect(codes).toEqual([1005])
  })

  it('refuses a websocket.receive with neither text nor bytes', async () => {
    const communicator = await connected()
    const frame: Message = { type: 'websocket.receive', text: null }
    await communicator.sendInput(frame)
    await expect(communicator.wait()).rejects.toThrow(
      new TypeError(
        'A websocket.receive message needs a string "text" or a Uint8Array "bytes", got {"type":"websocket.receive","text":null}.',
      ),
    )
  })
})

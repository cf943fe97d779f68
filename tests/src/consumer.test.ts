// Consumer dispatch through a communicator (checklist §3.3 item 1): handler names, refused
// and unknown types, StopConsumer, and no message type reaching a framework method.
import {
  AsyncConsumer,
  getChannelLayer,
  type InMemoryChannelLayer,
  type Message,
  NoHandlerError,
  resetChannelLayers,
  StopConsumer,
  WebsocketConsumer,
} from '@node-channels/core'
import { ApplicationCommunicator, WebsocketCommunicator } from '@node-channels/testing'
import { afterEach, describe, expect, it } from 'vitest'

afterEach(async () => {
  await resetChannelLayers()
})

const scope = { type: 'channel' as const, channel: 'tasks' }

class Worker extends AsyncConsumer {
  async a_b_c(message: Message): Promise<void> {
    await this.baseSend({ type: 'handled.by', handler: 'a_b_c', value: message.value })
  }
  task_stop(): void {
    throw new StopConsumer()
  }
}

describe('AsyncConsumer dispatch', () => {
  it('sends a.b.c to a_b_c and ends cleanly on StopConsumer', async () => {
    const communicator = new ApplicationCommunicator(Worker.asAsgi(), scope)
    await communicator.sendInput({ type: 'a.b.c', value: 1 })
    expect(await communicator.receiveOutput()).toEqual({
      type: 'handled.by',
      handler: 'a_b_c',
      value: 1,
    })
    await communicator.sendInput({ type: 'task.stop' })
    await expect(communicator.wait()).resolves.toBeUndefined()
  })

  it.each([
    [{}, new TypeError(`Incoming message has no 'type' attribute: {}`)],
    [
      { type: '_private' },
      new TypeError('Malformed type in message (leading underscore): "_private"'),
    ],
    [
      { type: 'chat.unknown' },
      new NoHandlerError('chat.unknown', 'No handler for message type chat.unknown'),
    ],
  ])('ends the consumer for %j with the exact error', async (message, expected) => {
    const communicator = new ApplicationCommunicator(Worker.asAsgi(), scope)
    await communicator.sendInput(message as Message)
    await expect(communicator.wait()).rejects.toThrow(expected)
  })
})

describe('the naming rule as a security boundary', () => {
  it.each(['close', 'send', 'accept', 'constructor', 'dispatch', 'toString'])(
    'a layer message of type %j reaches no method of a WebsocketConsumer',
    async (type) => {
      const communicator = new WebsocketCommunicator(WebsocketConsumer.asAsgi(), '/ws/')
      expect(await communicator.connect()).toEqual([true, null])
      const layer = getChannelLayer() as InMemoryChannelLayer
      const [channel] = [...layer.channels.keys()]
      await layer.send(channel as string, { type, code: 4000 })
      const error = await communicator.receiveOutput().catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(NoHandlerError)
      expect((error as NoHandlerError).messageType).toBe(type)
      expect(layer.channels.size).toBe(0)
    },
  )

  it('a layer message of type __proto__ is malformed (leading underscore)', async () => {
    const communicator = new WebsocketCommunicator(WebsocketConsumer.asAsgi(), '/ws/')
    await communicator.connect()
    const layer = getChannelLayer() as InMemoryChannelLayer
    const [channel] = [...layer.channels.keys()]
    await layer.send(channel as string, { type: '__proto__' })
    await expect(communicator.receiveOutput()).rejects.toThrow(
      new TypeError('Malformed type in message (leading underscore): "__proto__"'),
    )
  })
})

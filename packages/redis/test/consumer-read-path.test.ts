import {
  type ChannelLayer,
  type ChannelReceiver,
  type Message,
  type ReceiveOptions,
  setChannelLayer,
  WebsocketConsumer,
} from '@node-channels/core'
import { WebsocketCommunicator } from '@node-channels/testing'
import { describe, expect, it, onTestFinished } from 'vitest'
import { RedisPubSubChannelLayer } from '../src/pubsub-layer.js'
import { RedisChannelLayer } from '../src/redis-channel-layer.js'
import { fileInspector, layerForTest, redisAvailable } from './redis-helpers.js'

const redis = fileInspector()

const ALIAS = 'redis-read-path'

/** Counts how a layer is read, leaving both reads to the layer itself. */
interface ReadCounts {
  receive: number
  receiveInto: number
}

/** The layer classes with their reads counted; both methods overridden together, as a layer declares them. */
class CountedCore extends RedisChannelLayer {
  readonly reads: ReadCounts = { receive: 0, receiveInto: 0 }
  override receive(channel: string, options?: ReceiveOptions): Promise<Message> {
    this.reads.receive++
    return super.receive(channel, options)
  }
  override receiveInto(channel: string, receiver: ChannelReceiver): void {
    this.reads.receiveInto++
    super.receiveInto(channel, receiver)
  }
}

class CountedPubSub extends RedisPubSubChannelLayer {
  readonly reads: ReadCounts = { receive: 0, receiveInto: 0 }
  override receive(channel: string, options?: ReceiveOptions): Promise<Message> {
    this.reads.receive++
    return super.receive(channel, options)
  }
  override receiveInto(channel: string, receiver: ChannelReceiver): void {
    this.reads.receiveInto++
    super.receiveInto(channel, receiver)
  }
}

/** Joins one group on connect and relays its messages to the client. */
class RoomConsumer extends WebsocketConsumer {
  static override channelLayerAlias = ALIAS
  override groups = ['room']

  async chat_message(event: Message): Promise<void> {
    await this.send({ textData: String(event.text) })
  }
}

const layers: Array<[string, () => ChannelLayer & { reads: ReadCounts }]> = [
  ['RedisChannelLayer', () => layerForTest(redis, CountedCore, 'read-path')],
  ['RedisPubSubChannelLayer', () => layerForTest(redis, CountedPubSub, 'read-path')],
]

describe.skipIf(!redisAvailable).each(layers)('%s read by consumers', (_name, makeLayer) => {
  it('is read through receiveInto(), never receive(), and keeps the order of group messages', async () => {
    const layer = makeLayer()
    setChannelLayer(layer, ALIAS)
    onTestFinished(() => setChannelLayer(null, ALIAS))
    const communicator = new WebsocketCommunicator(RoomConsumer.asAsgi(), '/room/')
    const [connected] = await communicator.connect()
    expect(connected).toBe(true)
    for (let index = 0; index < 5; index++) {
      await layer.groupSend('room', { type: 'chat.message', text: `m${index}` })
    }
    for (let index = 0; index < 5; index++) {
      expect(await communicator.receiveFrom()).toBe(`m${index}`)
    }
    await communicator.disconnect()
    expect(layer.reads.receive).toBe(0)
    expect(layer.reads.receiveInto).toBeGreaterThanOrEqual(5)
  })
})

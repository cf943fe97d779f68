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

/**
 * Counts `layer`'s reads: both methods wrapped on the instance together, as a layer declares
 * them (wrapping `receive` alone would make consumers fall back to it).
 */
function countReads<T extends RedisChannelLayer | RedisPubSubChannelLayer>(
  layer: T,
): T & { reads: ReadCounts } {
  const reads: ReadCounts = { receive: 0, receiveInto: 0 }
  const receive = layer.receive.bind(layer)
  const receiveInto = layer.receiveInto.bind(layer)
  return Object.assign(layer, {
    reads,
    receive(channel: string, options?: ReceiveOptions): Promise<Message> {
      reads.receive++
      return receive(channel, options)
    },
    receiveInto(channel: string, receiver: ChannelReceiver): void {
      reads.receiveInto++
      receiveInto(channel, receiver)
    },
  })
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
  ['RedisChannelLayer', () => countReads(layerForTest(redis, RedisChannelLayer, 'read-path'))],
  [
    'RedisPubSubChannelLayer',
    () => countReads(layerForTest(redis, RedisPubSubChannelLayer, 'read-path')),
  ],
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

import {
  type ChannelLayer,
  InMemoryChannelLayer,
  type Message,
  setChannelLayer,
  WebsocketConsumer,
  type WebsocketFrame,
} from '@node-channels/core'
import { ProtocolTypeRouter, path, URLRouter } from '@node-channels/router'
import { serve } from '@node-channels/server'
import { EchoConsumer } from '../echo-consumer.js'
import { announceReady, installHooks, type ProgramOptions, programOptions } from './program-kit.js'

/**
 * node-channels doing the benchmark's work, written as the Channels tutorial writes it:
 * `/echo/` sends every frame back; `/broadcast/` joins one group in `connect()`,
 * `groupSend`s every frame to it, and the `chat_message` handler sends it to the client.
 * `--variant` picks the layer: `memory`, `redis` (RedisChannelLayer) or `redis-pubsub`;
 * with `-relays` appended, `chat.message` is declared as a relay instead of handled.
 * Server defaults otherwise, except the two limits noted at `serve()` below.
 */
const GROUP = 'bench'

/** Joins the group on connect; every frame is group-sent, and `chat_message` relays it. */
class ChatConsumer extends WebsocketConsumer {
  #layer(): ChannelLayer {
    if (this.channelLayer === null)
      throw new TypeError('The broadcast consumer needs a channel layer.')
    return this.channelLayer
  }

  override async connect(): Promise<void> {
    await this.#layer().groupAdd(GROUP, this.channelName)
    await this.accept()
  }

  override async disconnect(): Promise<void> {
    await this.#layer().groupDiscard(GROUP, this.channelName)
  }

  override async receive({ textData }: WebsocketFrame): Promise<void> {
    await this.#layer().groupSend(GROUP, { type: 'chat.message', text: textData })
  }

  async chat_message(event: Message): Promise<void> {
    await this.send({ textData: String(event.text) })
  }
}

/** The same chat, relaying `chat.message` to the client instead of handling it. */
class RelayingChatConsumer extends ChatConsumer {
  static override relays = {
    'chat.message': (event: Message) => ({ textData: String(event.text) }),
  }
}

const RELAYS = '-relays'

/**
 * The variant's layer. The Redis package is loaded only for the Redis variants, as an
 * application on the in-memory layer would not load it: what a process has loaded moves its
 * idle-memory reading (see the benchmark page).
 */
async function channelLayer(options: ProgramOptions, variant: string): Promise<ChannelLayer> {
  if (variant === 'memory') return new InMemoryChannelLayer()
  if (options.redisUrl === null) {
    throw new TypeError(`The ${JSON.stringify(variant)} variant needs --redis-url.`)
  }
  const { RedisChannelLayer, RedisPubSubChannelLayer } = await import('@node-channels/redis')
  const redisOptions = { hosts: [options.redisUrl], prefix: options.redisPrefix }
  if (variant === 'redis') return new RedisChannelLayer(redisOptions)
  if (variant === 'redis-pubsub') return new RedisPubSubChannelLayer(redisOptions)
  throw new TypeError(
    `--variant must be memory, redis or redis-pubsub (each optionally with ${RELAYS}), got ${JSON.stringify(options.variant)}.`,
  )
}

const options = programOptions()
const relaying = options.variant.endsWith(RELAYS)
setChannelLayer(
  await channelLayer(
    options,
    relaying ? options.variant.slice(0, -RELAYS.length) : options.variant,
  ),
)
const application = ProtocolTypeRouter({
  websocket: URLRouter([
    path('echo/', EchoConsumer.asAsgi()),
    path('broadcast/', (relaying ? RelayingChatConsumer : ChatConsumer).asAsgi()),
  ]),
})
const handle = await serve(application, {
  host: '127.0.0.1',
  port: options.port,
  // Every benchmark client comes from 127.0.0.1, so the per-address cap (256 by default) is off.
  maxConnectionsPerClient: null,
  // The per-socket rate limit stays on, out of reach, so its per-message cost is measured.
  websocketRateLimit: { messagesPerSecond: 1e9, burst: 1e9 },
})
installHooks(() => handle.close())
announceReady(handle.server.address())

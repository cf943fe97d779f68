// The code examples of README.md and docs/*.md, run for real. Each `// #region docs:NAME`
// below is the code of one docs block marked `<!-- example: NAME -->`; the last test checks
// that every marked block still shows exactly that code (import lines and `export` aside),
// so the docs cannot drift from what is proven here.
import { readFileSync } from 'node:fs'
import {
  AllowedHostsOriginValidator,
  type Application,
  AsyncHttpConsumer,
  DEBUG_ALLOWED_HOSTS,
  DenyConnection,
  getChannelLayer,
  type HandlersFor,
  InMemoryChannelLayer,
  type InvalidFrameError,
  JsonWebsocketConsumer,
  type Message,
  resetChannelLayers,
  setChannelLayer,
  WebsocketConsumer,
  type WebsocketFrame,
} from '@node-channels/core'
import { channelLayerFromUrl, RedisChannelLayer } from '@node-channels/redis'
import { ProtocolTypeRouter, path, RouteNotFound, rePath, URLRouter } from '@node-channels/router'
import { serve } from '@node-channels/server'
import {
  ApplicationCommunicator,
  HttpCommunicator,
  WebsocketCommunicator,
  type WebsocketCommunicatorOptions,
} from '@node-channels/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { z } from 'zod'

afterEach(async () => {
  await resetChannelLayers()
})

// --- README.md ---

function readmeExample() {
  // #region docs:readme-consumer
  const chatMessage = z.object({ message: z.string().min(1).max(500) })

  class ChatConsumer extends JsonWebsocketConsumer<z.infer<typeof chatMessage>> {
    override schema = chatMessage
    room = ''

    override async connect(): Promise<void> {
      this.room = `chat_${this.scope.url_route?.kwargs.room_name}`
      await this.channelLayer?.groupAdd(this.room, this.channelName)
      await this.accept()
    }

    override async receiveJson({ message }: { message: string }): Promise<void> {
      await this.channelLayer?.groupSend(this.room, { type: 'chat.message', message })
    }

    async chat_message(event: Message): Promise<void> {
      await this.sendJson({ message: event.message })
    }
  }
  // #endregion

  // #region docs:readme-routing
  const application = ProtocolTypeRouter({
    websocket: AllowedHostsOriginValidator(
      URLRouter([rePath(/^ws\/chat\/(?<room_name>\w{1,50})\/$/, ChatConsumer.asAsgi())]),
      DEBUG_ALLOWED_HOSTS,
    ),
  })
  // #endregion
  return application
}

describe('README', () => {
  const application = readmeExample()

  // #region docs:testing-chat
  it('broadcasts chat messages to everyone in the room, and only that room', async () => {
    // The origin a page on the development server sends: DEBUG_ALLOWED_HOSTS lets it in.
    const page: WebsocketCommunicatorOptions = { headers: [['origin', 'http://localhost:8000']] }
    const alice = new WebsocketCommunicator(application, '/ws/chat/lobby/', page)
    const bob = new WebsocketCommunicator(application, '/ws/chat/lobby/', page)
    const carol = new WebsocketCommunicator(application, '/ws/chat/kitchen/', page)
    expect(await alice.connect()).toEqual([true, null])
    expect(await bob.connect()).toEqual([true, null])
    expect(await carol.connect()).toEqual([true, null])

    await alice.sendJsonTo({ message: 'hello' })
    expect(await alice.receiveJsonFrom()).toEqual({ message: 'hello' })
    expect(await bob.receiveJsonFrom()).toEqual({ message: 'hello' })
    expect(await carol.receiveNothing()).toBe(true)

    await alice.disconnect()
    await bob.disconnect()
    await carol.disconnect()
  })
  // #endregion

  it('refuses other origins, closes on a refused frame, and 404s an unknown path', async () => {
    const evil = new WebsocketCommunicator(application, '/ws/chat/lobby/', {
      headers: [['origin', 'https://evil.example']],
    })
    expect(await evil.connect()).toEqual([false, 1000])

    const client = new WebsocketCommunicator(application, '/ws/chat/lobby/', {
      headers: [['origin', 'http://127.0.0.1:8000']],
    })
    expect(await client.connect()).toEqual([true, null])
    await client.sendJsonTo({ message: '' })
    expect(await client.receiveOutput()).toEqual({ type: 'websocket.close', code: 1007 })
    await client.disconnect(1007)

    const lost = new WebsocketCommunicator(application, '/ws/chat/no%20spaces/', {
      headers: [['origin', 'http://127.0.0.1:8000']],
    })
    const refused = lost.connect()
    await expect(refused).rejects.toThrow(RouteNotFound)
    await expect(refused).rejects.toThrow("No route found for path 'ws/chat/no spaces/'.")
  })
})

// --- docs/consumers.md ---

function shoutExample() {
  // #region docs:consumers-websocket
  /** Echoes text in capitals; `asAsgi({ maxLength })` is handed to each instance. */
  class ShoutConsumer extends WebsocketConsumer {
    readonly maxLength: number

    constructor(init?: { maxLength?: number }) {
      super()
      this.maxLength = init?.maxLength ?? 100
    }

    override async connect(): Promise<void> {
      if (!this.scope.subprotocols.includes('shout.v1')) throw new DenyConnection()
      await this.accept({ subprotocol: 'shout.v1' })
    }

    override async receive({ textData }: WebsocketFrame): Promise<void> {
      if (textData === undefined) return this.close({ code: 4003, reason: 'Text only.' })
      if (textData.length > this.maxLength) return this.close({ code: 4009 })
      await this.send({ textData: textData.toUpperCase() })
    }
  }

  const app = ShoutConsumer.asAsgi({ maxLength: 5 })
  // #endregion
  return app
}

function noticeExample() {
  // #region docs:consumers-groups
  type Notice = { type: 'notice.posted'; text: string }

  class NoticeConsumer extends WebsocketConsumer implements HandlersFor<Notice> {
    override groups = ['notices']

    async notice_posted(event: Notice): Promise<void> {
      await this.send({ textData: event.text })
    }
  }

  // From anywhere in the process: an HTTP handler, a timer, a job.
  async function postNotice(text: string): Promise<void> {
    const notice: Notice = { type: 'notice.posted', text }
    await getChannelLayer()?.groupSend('notices', notice)
  }
  // #endregion
  return { NoticeConsumer, postNotice }
}

function roomExample() {
  // #region docs:consumers-relays
  class RoomConsumer extends WebsocketConsumer {
    override groups = ['room']

    // Acts as a `chat_message(event)` handler that sends this frame.
    static override relays = {
      'chat.message': (event: Message) => ({ textData: String(event.text) }),
    }

    override async receive({ textData }: { textData?: string }): Promise<void> {
      await this.channelLayer?.groupSend('room', { type: 'chat.message', text: textData })
    }
  }
  // #endregion
  return RoomConsumer
}

function boardExample() {
  // #region docs:consumers-json
  const move = z.object({ x: z.number().int().min(0).max(7), y: z.number().int().min(0).max(7) })
  type Move = z.infer<typeof move>

  class BoardConsumer extends JsonWebsocketConsumer<Move> {
    override schema = move

    override async receiveJson({ x, y }: Move): Promise<void> {
      await this.sendJson({ type: 'moved', x, y })
    }

    // Answer a refused frame and stay open (the default closes with 1003 or 1007).
    override async receiveInvalid(error: InvalidFrameError): Promise<void> {
      await this.sendJson({ type: 'error', code: error.closeCode, message: error.message })
    }
  }
  // #endregion
  return BoardConsumer
}

function eventsExample() {
  // #region docs:consumers-http
  /** Server-sent events: one `data:` line per `event.published` sent to the group. */
  class EventsConsumer extends AsyncHttpConsumer {
    override async handle(_body: Uint8Array): Promise<void> {
      await this.channelLayer?.groupAdd('events', this.channelName)
      await this.sendHeaders({ headers: { 'content-type': 'text/event-stream' } })
    }

    async event_published(event: Message): Promise<void> {
      await this.sendBody(`data: ${JSON.stringify(event.data)}\n\n`, { moreBody: true })
    }
  }
  // #endregion
  return EventsConsumer
}

describe('docs/consumers.md', () => {
  it('ShoutConsumer: subprotocol, DenyConnection, init, close codes', async () => {
    const app = shoutExample()
    const plain = new WebsocketCommunicator(app, '/shout/')
    expect(await plain.connect()).toEqual([false, 1000])

    const client = new WebsocketCommunicator(app, '/shout/', { subprotocols: ['shout.v1'] })
    expect(await client.connect()).toEqual([true, 'shout.v1'])
    await client.sendTo({ textData: 'hey' })
    expect(await client.receiveFrom()).toBe('HEY')
    await client.sendTo({ bytesData: new Uint8Array([1]) })
    expect(await client.receiveOutput()).toEqual({
      type: 'websocket.close',
      code: 4003,
      reason: 'Text only.',
    })
    await client.disconnect(4003)

    const long = new WebsocketCommunicator(app, '/shout/', { subprotocols: ['shout.v1'] })
    expect(await long.connect()).toEqual([true, 'shout.v1'])
    await long.sendTo({ textData: 'too long' })
    expect(await long.receiveOutput()).toEqual({ type: 'websocket.close', code: 4009 })
    await long.disconnect(4009)
  })

  it('NoticeConsumer: joins its groups, gets a groupSend from outside, leaves on disconnect', async () => {
    const layer = new InMemoryChannelLayer()
    setChannelLayer(layer)
    const { NoticeConsumer, postNotice } = noticeExample()
    const client = new WebsocketCommunicator(NoticeConsumer.asAsgi(), '/notices/')
    expect(await client.connect()).toEqual([true, null])
    expect(layer.groups.get('notices')).toHaveLength(1)
    await postNotice('Maintenance at 18:00.')
    expect(await client.receiveFrom()).toBe('Maintenance at 18:00.')
    await client.disconnect()
    expect(layer.groups.get('notices') ?? []).toEqual([])
  })

  it('RoomConsumer: a frame from one member is relayed to every member, itself included', async () => {
    setChannelLayer(new InMemoryChannelLayer())
    const RoomConsumer = roomExample()
    const alice = new WebsocketCommunicator(RoomConsumer.asAsgi(), '/room/')
    const bob = new WebsocketCommunicator(RoomConsumer.asAsgi(), '/room/')
    expect(await alice.connect()).toEqual([true, null])
    expect(await bob.connect()).toEqual([true, null])
    await alice.sendTo({ textData: 'hello, room' })
    expect(await alice.receiveFrom()).toBe('hello, room')
    expect(await bob.receiveFrom()).toBe('hello, room')
    await alice.disconnect()
    await bob.disconnect()
  })

  it('BoardConsumer: validated moves, and refused frames answered without closing', async () => {
    const client = new WebsocketCommunicator(boardExample().asAsgi(), '/board/')
    expect(await client.connect()).toEqual([true, null])
    await client.sendJsonTo({ x: 3, y: 4 })
    expect(await client.receiveJsonFrom()).toEqual({ type: 'moved', x: 3, y: 4 })
    await client.sendJsonTo({ x: 9, y: 4 })
    expect(await client.receiveJsonFrom()).toEqual({
      type: 'error',
      code: 1007,
      message:
        'The JSON content does not match the schema:\n✖ Too big: expected number to be <=7\n  → at x',
    })
    await client.sendTo({ textData: '{"x": 1,' })
    expect(await client.receiveJsonFrom()).toMatchObject({ type: 'error', code: 1007 })
    await client.sendTo({ bytesData: new Uint8Array(2) })
    expect(await client.receiveJsonFrom()).toEqual({
      type: 'error',
      code: 1003,
      message: 'Expected a JSON text frame, got a binary frame of 2 bytes.',
    })
    await client.sendJsonTo({ x: 0, y: 7 })
    expect(await client.receiveJsonFrom()).toEqual({ type: 'moved', x: 0, y: 7 })
    await client.disconnect()
  })

  it('EventsConsumer: streams channel-layer events after handle() returned', async () => {
    const layer = new InMemoryChannelLayer()
    setChannelLayer(layer)
    const communicator = new ApplicationCommunicator(eventsExample().asAsgi(), {
      type: 'http',
      method: 'GET',
      path: '/events/',
      query_string: '',
      headers: [],
    })
    await communicator.sendInput({ type: 'http.request', body: new Uint8Array(0) })
    expect(await communicator.receiveOutput()).toEqual({
      type: 'http.response.start',
      status: 200,
      headers: [['content-type', 'text/event-stream']],
    })
    await layer.groupSend('events', { type: 'event.published', data: { n: 1 } })
    const chunk = await communicator.receiveOutput()
    expect(chunk.more_body).toBe(true)
    expect(Buffer.from(chunk.body as Uint8Array).toString()).toBe('data: {"n":1}\n\n')
    await communicator.sendInput({ type: 'http.disconnect' })
    await communicator.wait()
    expect(layer.groups.get('events') ?? []).toEqual([])
  })
})

// --- docs/routing.md ---

function routingExample() {
  // #region docs:routing
  /** Accepts, then sends what the router captured. */
  class RouteInfoConsumer extends JsonWebsocketConsumer {
    override async connect(): Promise<void> {
      await this.accept()
      await this.sendJson(this.scope.url_route)
    }
  }

  const info = RouteInfoConsumer.asAsgi()
  const application = ProtocolTypeRouter({
    websocket: URLRouter([
      path('ws/chat/:room_name/', info),
      rePath(/^ws\/game\/(?<game_id>\d+)\/$/, info),
      path('ws/files/*path', info),
      path('ws/api/', URLRouter([path('feeds/:topic/', info, { kwargs: { version: '2' } })])),
    ]),
  })
  // #endregion
  return application
}

describe('docs/routing.md', () => {
  it.each([
    ['/ws/chat/lobby/', { room_name: 'lobby' }],
    ['/ws/game/42/', { game_id: '42' }],
    ['/ws/files/reports/2026/q1.pdf', { path: 'reports/2026/q1.pdf' }],
    ['/ws/api/feeds/news/', { topic: 'news', version: '2' }],
  ])('%s is routed with kwargs %j', async (target, kwargs) => {
    const client = new WebsocketCommunicator(routingExample(), target)
    expect(await client.connect()).toEqual([true, null])
    expect(await client.receiveJsonFrom()).toEqual({ args: [], kwargs })
    await client.disconnect()
  })

  it.each([
    ['/ws/game/forty-two/', 'ws/game/forty-two/'],
    ['/ws/chat/lobby', 'ws/chat/lobby'],
    ['/ws/api/feeds/', 'ws/api/feeds/'],
  ])('%s is not found', async (target, routed) => {
    const client = new WebsocketCommunicator(routingExample(), target)
    await expect(client.connect()).rejects.toThrow(`No route found for path '${routed}'.`)
  })
})

// --- docs/server.md ---

function serverExample() {
  // #region docs:server-lifespan
  class ClockConsumer extends WebsocketConsumer {
    override groups = ['clock']

    async clock_tick(event: Message): Promise<void> {
      await this.send({ textData: String(event.now) })
    }
  }

  /** Broadcasts the time to the `clock` group every second while the server runs. */
  const clock: Application = async (_scope, receive, send) => {
    await receive() // lifespan.startup
    const timer = setInterval(() => {
      getChannelLayer()
        ?.groupSend('clock', { type: 'clock.tick', now: Date.now() })
        .catch((error: unknown) => console.error('The clock could not tick:', error))
    }, 1000)
    await send({ type: 'lifespan.startup.complete' })
    await receive() // lifespan.shutdown
    clearInterval(timer)
    await send({ type: 'lifespan.shutdown.complete' })
  }

  const application = ProtocolTypeRouter({
    websocket: URLRouter([path('ws/clock/', ClockConsumer.asAsgi())]),
    lifespan: clock,
  })
  // #endregion
  return application
}

describe('docs/server.md', () => {
  it('serves the clock over a real socket and closes it with 1001 on shutdown', async () => {
    const application = serverExample()
    // #region docs:server-serve
    const handle = await serve(application, { host: '127.0.0.1', port: 0 })
    // handle.url is http://127.0.0.1:<port>
    // #endregion
    try {
      const socket = new WebSocket(`${handle.url.replace('http', 'ws')}/ws/clock/`)
      socket.on('error', () => undefined)
      const tick = new Promise<string>((resolve) => {
        socket.once('message', (data) => resolve(String(data)))
      })
      const closed = new Promise<number>((resolve) => socket.once('close', resolve))
      const before = Date.now()
      const now = Number(await tick)
      expect(now).toBeGreaterThanOrEqual(before - 1000)
      expect(now).toBeLessThanOrEqual(Date.now())
      await handle.close()
      expect(await closed).toBe(1001)
    } finally {
      await handle.close()
    }
  })
})

// --- docs/deployment.md ---

function healthExample() {
  // #region docs:deployment-health
  /** 200 once a message has made a round trip through the channel layer (Redis included). */
  class HealthConsumer extends AsyncHttpConsumer {
    override async handle(_body: Uint8Array): Promise<void> {
      if (this.channelLayer === null) return this.sendResponse(200, 'ok, no channel layer\n')
      await this.channelLayer.send(this.channelName, { type: 'health.echo' })
    }

    async health_echo(_event: Message): Promise<void> {
      await this.sendResponse(200, 'ok\n', { headers: { 'content-type': 'text/plain' } })
    }
  }
  // #endregion
  return HealthConsumer
}

function settingsExample() {
  // #region docs:deployment-settings
  const layerUrl = process.env.CHANNEL_LAYER_URL
  if (layerUrl) setChannelLayer(channelLayerFromUrl(layerUrl))
  // #endregion
}

describe('docs/deployment.md', () => {
  it('the health check answers 200 after a channel-layer round trip', async () => {
    const app = healthExample().asAsgi()
    // #region docs:testing-http
    const response = await new HttpCommunicator(app, 'GET', '/healthz/').getResponse()
    expect(response.status).toBe(200)
    expect(response.headers).toEqual([['content-type', 'text/plain']])
    expect(Buffer.from(response.body).toString()).toBe('ok\n')
    // #endregion

    setChannelLayer(null)
    const bare = await new HttpCommunicator(app, 'GET', '/healthz/').getResponse()
    expect(Buffer.from(bare.body).toString()).toBe('ok, no channel layer\n')
  })

  it('CHANNEL_LAYER_URL selects the Redis layer (connecting lazily, so no Redis is needed)', () => {
    const saved = process.env.CHANNEL_LAYER_URL
    try {
      process.env.CHANNEL_LAYER_URL = 'redis://127.0.0.1:6379/0?prefix=docs'
      settingsExample()
      expect(getChannelLayer()).toBeInstanceOf(RedisChannelLayer)
      delete process.env.CHANNEL_LAYER_URL
      setChannelLayer(new InMemoryChannelLayer())
      settingsExample()
      expect(getChannelLayer()).toBeInstanceOf(InMemoryChannelLayer)
    } finally {
      if (saved === undefined) delete process.env.CHANNEL_LAYER_URL
      else process.env.CHANNEL_LAYER_URL = saved
    }
  })
})

// --- the docs show exactly the code above ---

const ROOT = new URL('../../', import.meta.url)
const DOCS = [
  'README.md',
  'docs/consumers.md',
  'docs/routing.md',
  'docs/testing.md',
  'docs/server.md',
  'docs/deployment.md',
]

/** The lines that matter: no imports, no `export `, no indentation, no blank lines. */
function normalise(code: string): string[] {
  const lines: string[] = []
  let inImport = false
  for (const raw of code.split('\n')) {
    const line = raw.trim()
    if (line.startsWith('import ')) inImport = !/ from '[^']+'$|^import '[^']+'$/.test(line)
    else if (inImport) inImport = !/ from '[^']+'$/.test(line)
    else if (line !== '') lines.push(line.replace(/^export /, ''))
  }
  return lines
}

function regionsOf(source: string): Map<string, string> {
  const regions = new Map<string, string>()
  for (const match of source.matchAll(/\/\/ #region docs:([\w-]+)\n([\s\S]*?)\/\/ #endregion/g)) {
    regions.set(match[1] as string, match[2] as string)
  }
  return regions
}

function examplesOf(markdown: string): Array<[name: string, code: string]> {
  const blocks = markdown.matchAll(/<!-- example: ([\w-]+) -->\n```ts\n([\s\S]*?)```/g)
  return [...blocks].map((match) => [match[1] as string, match[2] as string])
}

describe('the docs examples', () => {
  const regions = regionsOf(readFileSync(new URL(import.meta.url), 'utf8'))

  it.each(DOCS)('%s shows the tested code in every marked block', (file) => {
    const examples = examplesOf(readFileSync(new URL(file, ROOT), 'utf8'))
    expect(examples.length).toBeGreaterThan(0)
    for (const [name, code] of examples) {
      const region = regions.get(name)
      expect(region, `${file} marks an unknown example ${JSON.stringify(name)}`).toBeDefined()
      expect(normalise(code), `${file}, example ${name}`).toEqual(normalise(region ?? ''))
    }
  })

  it('shows every tested example somewhere', () => {
    const shown = DOCS.flatMap((file) =>
      examplesOf(readFileSync(new URL(file, ROOT), 'utf8')).map(([name]) => name),
    )
    expect(new Set(shown)).toEqual(new Set(regions.keys()))
  })
})

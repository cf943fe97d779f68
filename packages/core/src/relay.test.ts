import { afterEach, describe, expect, it } from 'vitest'
import { AsyncConsumer } from './consumer.js'
import { startApp, wsScope } from './consumer-harness.test-util.js'
import { JsonWebsocketConsumer } from './json-websocket-consumer.js'
import { InMemoryChannelLayer } from './layers/in-memory-layer.js'
import { resetChannelLayers, setChannelLayer } from './layers/registry.js'
import { InvalidRelaysError, relayTableOf } from './relay.js'
import {
  type Application,
  type EventReceiver,
  kServerPort,
  type Message,
  type Scope,
  sendDone,
} from './types.js'
import { WebsocketConsumer } from './websocket-consumer.js'

let layer: InMemoryChannelLayer
afterEach(async () => {
  await layer?.close()
  resetChannelLayers()
})

function useLayer(): InMemoryChannelLayer {
  layer = new InMemoryChannelLayer()
  setChannelLayer(layer)
  return layer
}

/**
 * A connection driven as the protocol server drives one: events pushed through the port's
 * `receiveInto()` (on `receive`, under `kServerPort`), and a `send` carried out at once (it
 * returns `sendDone`).
 */
class PushConnection {
  readonly sent: Message[] = []
  exit: { returned: true } | { error: unknown } | null = null
  #events: Message[] = []
  #waiting: EventReceiver | null = null

  constructor(app: Application, scope: Scope = wsScope) {
    const receiveInto = (receiver: EventReceiver): void => {
      const next = this.#events.shift()
      if (next === undefined) this.#waiting = receiver
      else receiver.deliver(next)
    }
    const send = (message: Message): Promise<void> => {
      this.sent.push(message)
      return sendDone
    }
    const receive = Object.assign(() => Promise.reject(new Error('read through the port only')), {
      [kServerPort]: { receiveInto, send },
    })
    app(scope, receive, send).then(
      () => {
        this.exit = { returned: true }
      },
      (error: unknown) => {
        this.exit = { error }
      },
    )
  }

  push(message: Message): void {
    const waiting = this.#waiting
    this.#waiting = null
    if (waiting === null) this.#events.push(message)
    else waiting.deliver(message)
  }

  /** The texts of the frames sent so far. */
  get texts(): unknown[] {
    return this.sent.filter((m) => m.type === 'websocket.send').map((m) => m.text)
  }
}

/** Lets every pending microtask and one macrotask turn run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** Opens `count` connections of `app`, each accepted and (by its class) in group "room". */
async function openMany(app: Application, count: number): Promise<PushConnection[]> {
  const connections = Array.from({ length: count }, () => new PushConnection(app))
  await settle()
  for (const connection of connections) connection.push({ type: 'websocket.connect' })
  await settle()
  for (const connection of connections) {
    expect(connection.sent[0]).toEqual({ type: 'websocket.accept', subprotocol: null })
  }
  return connections
}

let relayCalls = 0

/** The tutorial chat, relaying `chat.message` to the client as its text. */
class RelayChat extends WebsocketConsumer {
  override groups = ['room']
  static override relays = {
    'chat.message': (event: Message) => {
      relayCalls += 1
      return { textData: `says: ${String(event.text)}` }
    },
  }
}

describe('AsyncConsumer.relays: the declaration', () => {
  it('installs a handler named for each type, which sends what the relay makes', async () => {
    const table = relayTableOf(RelayChat)
    expect(table?.types).toEqual(['chat.message'])
    expect(typeof (RelayChat.prototype as unknown as Record<string, unknown>).chat_message).toBe(
      'function',
    )
    // Through the promise-based receive (as WebsocketCommunicator reads): the mailbox path.
    useLayer()
    const app = startApp(RelayChat.asAsgi(), wsScope)
    app.input.put({ type: 'websocket.connect' })
    expect(await app.output.get()).toMatchObject({ type: 'websocket.accept' })
    await layer.groupSend('room', { type: 'chat.message', text: 'hi' })
    expect(await app.output.get()).toEqual({ type: 'websocket.send', text: 'says: hi' })
  })

  it('refuses what is not an object of functions, quoting it', () => {
    class NotAnObject extends WebsocketConsumer {
      static override relays = 'chat.message' as never
    }
    expect(() => NotAnObject.asAsgi()).toThrow(InvalidRelaysError)
    expect(() => NotAnObject.asAsgi()).toThrow(
      'NotAnObject.relays must be an object of functions by message type, not "chat.message".',
    )
    class NotAFunction extends WebsocketConsumer {
      static override relays = { 'chat.message': 42 } as never
    }
    expect(() => NotAFunction.asAsgi()).toThrow(
      'NotAFunction.relays["chat.message"] must be a function, not 42.',
    )
  })

  it('refuses a type no handler can be named for', () => {
    class Underscored extends WebsocketConsumer {
      static override relays = { '_private.thing': () => ({ textData: 'x' }) }
    }
    expect(() => Underscored.asAsgi()).toThrow(/Underscored.relays has a type.*"_private.thing"/)
    class Upper extends WebsocketConsumer {
      static override relays = { 'Chat.Message': () => ({ textData: 'x' }) }
    }
    expect(() => Upper.asAsgi()).toThrow(InvalidRelaysError)
  })

  it('refuses a class that relays a type and also defines its handler', () => {
    class Both extends WebsocketConsumer {
      static override relays = { 'chat.message': () => ({ textData: 'x' }) }
      chat_message(): void {}
    }
    expect(() => Both.asAsgi()).toThrow(
      'Both relays "chat.message" and also defines chat_message(): keep one of the two.',
    )
  })

  it('lets a subclass method replace an inherited relay, and a subclass relay an inherited method', () => {
    class Handled extends RelayChat {
      chat_message(): void {}
    }
    expect(relayTableOf(Handled)).toBeNull()
    class Plain extends WebsocketConsumer {
      chat_message(): void {}
    }
    class Relayed extends Plain {
      static override relays = { 'chat.message': () => ({ textData: 'x' }) }
    }
    expect(relayTableOf(Relayed)?.types).toEqual(['chat.message'])
    expect(relayTableOf(Plain)).toBeNull()
  })
})

describe('AsyncConsumer.relays: a group send', () => {
  it('builds the frame once for every member and sends it without running a handler', async () => {
    useLayer()
    const members = await openMany(RelayChat.asAsgi(), 5)
    relayCalls = 0
    await layer.groupSend('room', { type: 'chat.message', text: 'one' })
    // Sent within the group send: nothing was queued for the consumers.
    for (const member of members) expect(member.texts).toEqual(['says: one'])
    expect(relayCalls).toBe(1)
    await layer.groupSend('room', { type: 'chat.message', text: 'two' })
    await settle()
    for (const member of members) expect(member.texts).toEqual(['says: one', 'says: two'])
    expect(relayCalls).toBe(2)
  })

  it('queues it behind a busy consumer’s work, so nothing overtakes what came first', async () => {
    useLayer()
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    class Busy extends RelayChat {
      override async receive(): Promise<void> {
        await gate
        await this.send({ textData: 'done with the frame' })
      }
    }
    const [busy, idle] = await openMany(Busy.asAsgi(), 2)
    if (busy === undefined || idle === undefined) throw new Error('two connections expected')
    busy.push({ type: 'websocket.receive', text: 'work' })
    await settle()
    await layer.groupSend('room', { type: 'chat.message', text: 'news' })
    expect(idle.texts).toEqual(['says: news'])
    expect(busy.texts).toEqual([])
    release()
    await settle()
    expect(busy.texts).toEqual(['done with the frame', 'says: news'])
  })

  it('does not overtake a client event that is on its way to the consumer', async () => {
    useLayer()
    class Echoing extends RelayChat {
      override receive({ textData }: { textData?: string }): Promise<void> {
        return this.send({ textData: `echo ${textData}` })
      }
    }
    const [member] = await openMany(Echoing.asAsgi(), 1)
    if (member === undefined) throw new Error('one connection expected')
    // Pushed (handed over in a microtask), then the group send in the same turn.
    member.push({ type: 'websocket.receive', text: 'first' })
    await layer.groupSend('room', { type: 'chat.message', text: 'second' })
    await settle()
    expect(member.texts).toEqual(['echo first', 'says: second'])
  })

  it('hands the relay a copy of its own, and other members their usual copies', async () => {
    useLayer()
    const seen: Message[] = []
    class Mutating extends WebsocketConsumer {
      override groups = ['room']
      static override relays = {
        'chat.message': (event: Message) => {
          const tags = event.tags as string[]
          tags.push('changed')
          event.text = 'changed'
          return { textData: tags.join(',') }
        },
      }
    }
    class Recording extends WebsocketConsumer {
      override groups = ['room']
      chat_message(event: Message): void {
        seen.push(event)
      }
    }
    const [mutating] = await openMany(Mutating.asAsgi(), 1)
    await openMany(Recording.asAsgi(), 2)
    const original = { type: 'chat.message', text: 'hi', tags: ['a'] }
    await layer.groupSend('room', original)
    await settle()
    expect(mutating?.texts).toEqual(['a,changed'])
    expect(seen).toEqual([
      { type: 'chat.message', text: 'hi', tags: ['a'] },
      { type: 'chat.message', text: 'hi', tags: ['a'] },
    ])
    expect(seen[0]?.tags).not.toBe(seen[1]?.tags)
    expect(original).toEqual({ type: 'chat.message', text: 'hi', tags: ['a'] })
  })

  it('ends a member with the relay’s error, as a failing handler would', async () => {
    useLayer()
    class Failing extends WebsocketConsumer {
      override groups = ['room']
      static override relays = {
        'chat.message': (event: Message) => {
          if (event.text === 'bad') throw new RangeError('no bad words')
          return { textData: String(event.text) }
        },
      }
    }
    const [member] = await openMany(Failing.asAsgi(), 1)
    await layer.groupSend('room', { type: 'chat.message', text: 'good' })
    expect(member?.texts).toEqual(['good'])
    await layer.groupSend('room', { type: 'chat.message', text: 'bad' })
    await settle()
    await settle()
    expect(member?.exit).toEqual({ error: new RangeError('no bad words') })
    // It left the group on the way out.
    expect(layer.groups.get('room')).toBeUndefined()
  })

  it('refuses a WebsocketConsumer relay that returns no frame or asks to close', async () => {
    useLayer()
    class Closing extends WebsocketConsumer {
      override groups = ['room']
      static override relays = { 'chat.message': () => ({ textData: 'bye', close: true }) }
    }
    const [member] = await openMany(Closing.asAsgi(), 1)
    await layer.groupSend('room', { type: 'chat.message' })
    await settle()
    await settle()
    const exit = member?.exit as { error: Error }
    expect(exit.error).toBeInstanceOf(TypeError)
    expect(exit.error.message).toBe(
      'A WebsocketConsumer relay must return { textData } or { bytesData }, not {"textData":"bye","close":true}.',
    )
    expect(member?.texts).toEqual([])
  })

  it('goes through a dispatch() override, which sees every message', async () => {
    useLayer()
    const dispatched: string[] = []
    class Watched extends RelayChat {
      override async dispatch(message: Message): Promise<void> {
        dispatched.push(message.type)
        await super.dispatch(message)
      }
    }
    const [member] = await openMany(Watched.asAsgi(), 1)
    await layer.groupSend('room', { type: 'chat.message', text: 'x' })
    await settle()
    expect(dispatched).toEqual(['websocket.connect', 'chat.message'])
    expect(member?.texts).toEqual(['says: x'])
  })

  it('encodes a JsonWebsocketConsumer relay’s content once for the whole group', async () => {
    useLayer()
    let encoded = 0
    class JsonChat extends JsonWebsocketConsumer {
      override groups = ['room']
      static override relays = {
        'chat.message': (event: Message) => ({ message: event.text }),
      }
      static override encodeJson(content: unknown): string {
        encoded += 1
        return JsonWebsocketConsumer.encodeJson(content)
      }
    }
    const members = await openMany(JsonChat.asAsgi(), 4)
    await layer.groupSend('room', { type: 'chat.message', text: 'héllo' })
    for (const member of members) expect(member.texts).toEqual(['{"message":"héllo"}'])
    expect(encoded).toBe(1)
  })

  it('finishes a relay with the member’s own class, once per class in the group', async () => {
    useLayer()
    let built = 0
    class JsonRoom extends JsonWebsocketConsumer {
      override groups = ['room']
      static override relays = {
        'chat.message': (event: Message) => {
          built += 1
          return { message: event.text }
        },
      }
    }
    class ShoutingRoom extends JsonRoom {
      static override encodeJson(content: unknown): string {
        return JsonWebsocketConsumer.encodeJson(content).toUpperCase()
      }
    }
    const quiet = await openMany(JsonRoom.asAsgi(), 2)
    const loud = await openMany(ShoutingRoom.asAsgi(), 2)
    await layer.groupSend('room', { type: 'chat.message', text: 'hi' })
    for (const member of quiet) expect(member.texts).toEqual(['{"message":"hi"}'])
    for (const member of loud) expect(member.texts).toEqual(['{"MESSAGE":"HI"}'])
    expect(built).toBe(2)
    // The mailbox path (a busy member) finishes it the same way.
    const app = startApp(ShoutingRoom.asAsgi(), wsScope)
    app.input.put({ type: 'websocket.connect' })
    expect(await app.output.get()).toMatchObject({ type: 'websocket.accept' })
    await layer.groupSend('room', { type: 'chat.message', text: 'again' })
    expect(await app.output.get()).toEqual({ type: 'websocket.send', text: '{"MESSAGE":"AGAIN"}' })
  })

  it('is an ASGI message for a plain AsyncConsumer, checked like any', async () => {
    useLayer()
    class Raw extends AsyncConsumer {
      static override relays = {
        'chat.message': (event: Message) => ({ type: 'websocket.send', text: event.text }),
      }
      async websocket_connect(): Promise<void> {
        await this.channelLayer?.groupAdd('room', this.channelName)
        await this.baseSend({ type: 'websocket.accept', subprotocol: null })
      }
    }
    const [member] = await openMany(Raw.asAsgi(), 1)
    await layer.groupSend('room', { type: 'chat.message', text: 'raw' })
    expect(member?.texts).toEqual(['raw'])
    expect(() => AsyncConsumer.relayMessage({ text: 'no type' })).toThrow(
      'A relay must return a message with a string type, not {"text":"no type"}.',
    )
  })
})

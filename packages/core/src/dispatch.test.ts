import { describe, expect, expectTypeOf, it } from 'vitest'
import {
  awaitManyDispatch,
  dispatchTo,
  findHandler,
  getHandlerName,
  type HandlerName,
  type MessageSource,
  NoHandlerError,
} from './dispatch.js'
import type { Message } from './types.js'

describe('getHandlerName', () => {
  it.each([
    ['websocket.connect', 'websocket_connect'],
    ['websocket.receive', 'websocket_receive'],
    ['chat.message', 'chat_message'],
    ['chat.message.new', 'chat_message_new'],
    ['chat_message', 'chat_message'],
    ['http.response.start', 'http_response_start'],
    ['a1.b2', 'a1_b2'],
  ])('maps %j to %j (every dot becomes "_")', (type, name) => {
    expect(getHandlerName({ type })).toBe(name)
  })

  it.each(['_my_private_handler', '.my_private_handler', '__proto__', '_x', '.x'])(
    'refuses %j with Django’s leading-underscore message',
    (type) => {
      expect(() => getHandlerName({ type })).toThrow(
        new TypeError(`Malformed type in message (leading underscore): ${JSON.stringify(type)}`),
      )
    },
  )

  it.each([
    'close',
    'send',
    'constructor',
    'toString',
    'hasOwnProperty',
    'Chat.Message',
    'chat..message',
    'chat.message.',
    'chat-message',
    'chat.messagé',
    '1chat.message',
    '',
  ])('refuses %j, which breaks the handler naming rule, with NoHandlerError', (type) => {
    let caught: unknown
    try {
      getHandlerName({ type })
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(NoHandlerError)
    expect(caught).toBeInstanceOf(TypeError)
    expect((caught as NoHandlerError).messageType).toBe(type)
    expect((caught as Error).message).toBe(
      `No handler for message type ${JSON.stringify(type)}: a handler name must match ` +
        '^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$ once every "." is replaced by "_".',
    )
  })

  it('refuses a message without a type, as Django does', () => {
    expect(() => getHandlerName({ text: 'hi' })).toThrow(
      new TypeError(`Incoming message has no 'type' attribute: {"text":"hi"}`),
    )
    expect(() => getHandlerName(null)).toThrow(
      new TypeError(`Incoming message has no 'type' attribute: null`),
    )
    expect(() => getHandlerName('chat.message')).toThrow(
      new TypeError(`Incoming message has no 'type' attribute: "chat.message"`),
    )
  })

  it.each([
    [42, '42'],
    [null, 'null'],
    [['chat.message'], '["chat.message"]'],
  ])('refuses the non-string type %j', (type, quoted) => {
    expect(() => getHandlerName({ type })).toThrow(
      new TypeError(`Malformed type in message: the type must be a string, not ${quoted}.`),
    )
  })

  it('maps types to handler names at the type level too', () => {
    expectTypeOf<HandlerName<'chat.message.new'>>().toEqualTypeOf<'chat_message_new'>()
  })
})

describe('findHandler', () => {
  class Base {
    base_handler(): string {
      return 'base'
    }
  }
  class Child extends Base {
    own_field = (): string => 'field'
    not_a_function = 'data'
    child_handler(): string {
      return 'child'
    }
    get getter_handler(): () => string {
      throw new Error('a getter must never be called')
    }
  }

  it('finds methods on the class and its base classes, and function fields', () => {
    const child = new Child()
    expect(findHandler(child, 'child_handler')?.call(child, { type: 'x' })).toBe('child')
    expect(findHandler(child, 'base_handler')?.call(child, { type: 'x' })).toBe('base')
    expect(findHandler(child, 'own_field')?.call(child, { type: 'x' })).toBe('field')
  })

  it('never reaches Object.prototype, non-functions or getters', () => {
    const child = new Child()
    expect(findHandler(child, 'toString')).toBeNull()
    expect(findHandler(child, 'hasOwnProperty')).toBeNull()
    expect(findHandler(child, '__proto__')).toBeNull()
    expect(findHandler(child, 'not_a_function')).toBeNull()
    expect(findHandler(child, 'getter_handler')).toBeNull()
    expect(findHandler(Object.create(null), 'anything_at_all')).toBeNull()
  })
})

describe('dispatchTo', () => {
  it('calls the handler with the message and returns its result', () => {
    const seen: Message[] = []
    const target = {
      chat_message(message: Message) {
        seen.push(message)
        return 'done'
      },
    }
    expect(dispatchTo(target, { type: 'chat.message', text: 'hi' })).toBe('done')
    expect(seen).toEqual([{ type: 'chat.message', text: 'hi' }])
  })

  it('throws NoHandlerError with Django’s message for an unknown type', () => {
    expect(() => dispatchTo({}, { type: 'chat.unknown' })).toThrow(
      new NoHandlerError('chat.unknown', 'No handler for message type chat.unknown'),
    )
  })
})

describe('dispatchTo handler cache', () => {
  it('finds an instance field that shadows a method its class already dispatched to', () => {
    class Room {
      chat_message(): string {
        return 'method'
      }
    }
    const plain = new Room()
    expect(dispatchTo(plain, { type: 'chat.message' })).toBe('method')
    const withField = Object.assign(new Room(), { chat_message: () => 'field' })
    expect(dispatchTo(withField, { type: 'chat.message' })).toBe('field')
    expect(dispatchTo(plain, { type: 'chat.message' })).toBe('method')
    // A field set later on an instance that was already served.
    Object.assign(plain, { chat_message: () => 'late field' })
    expect(dispatchTo(plain, { type: 'chat.message' })).toBe('late field')
    // A non-function field hides the method, as findHandler says.
    const hidden = Object.assign(new Room(), { chat_message: 'data' })
    expect(() => dispatchTo(hidden, { type: 'chat.message' })).toThrow(NoHandlerError)
  })

  it('keeps a subclass override and its base class apart, in either order', () => {
    class Base {
      chat_message(): string {
        return 'base'
      }
    }
    class Child extends Base {
      override chat_message(): string {
        return 'child'
      }
    }
    class Grandchild extends Child {}
    for (let round = 0; round < 2; round++) {
      expect(dispatchTo(new Base(), { type: 'chat.message' })).toBe('base')
      expect(dispatchTo(new Grandchild(), { type: 'chat.message' })).toBe('child')
      expect(dispatchTo(new Child(), { type: 'chat.message' })).toBe('child')
    }
  })

  it('sees a method replaced, shadowed or removed on a prototype after it was cached', () => {
    class Base {
      chat_message(): string {
        return 'base'
      }
    }
    class Middle extends Base {}
    class Leaf extends Middle {}
    const leaf = new Leaf()
    expect(dispatchTo(leaf, { type: 'chat.message' })).toBe('base')
    // As vi.spyOn(Base.prototype, 'chat_message') would.
    const original = Base.prototype.chat_message
    Base.prototype.chat_message = () => 'replaced'
    expect(dispatchTo(leaf, { type: 'chat.message' })).toBe('replaced')
    // As vi.spyOn(Middle.prototype, 'chat_message') would: an own property in between.
    Object.assign(Middle.prototype, { chat_message: () => 'shadowed' })
    expect(dispatchTo(leaf, { type: 'chat.message' })).toBe('shadowed')
    Reflect.deleteProperty(Middle.prototype, 'chat_message')
    Base.prototype.chat_message = original
    expect(dispatchTo(leaf, { type: 'chat.message' })).toBe('base')
    Reflect.deleteProperty(Base.prototype, 'chat_message')
    expect(() => dispatchTo(leaf, { type: 'chat.message' })).toThrow(
      new NoHandlerError('chat.message', 'No handler for message type chat.message'),
    )
  })

  it('caches both spellings of a type apart, and still refuses names and Object.prototype', () => {
    let getterCalls = 0
    class Target {
      chat_message(message: Message): string {
        return message.type
      }
      get getter_handler(): () => string {
        getterCalls++
        return () => 'never'
      }
    }
    const target = new Target()
    for (let round = 0; round < 2; round++) {
      expect(dispatchTo(target, { type: 'chat.message' })).toBe('chat.message')
      expect(dispatchTo(target, { type: 'chat_message' })).toBe('chat_message')
      expect(() => dispatchTo(target, { type: 'toString' })).toThrow(NoHandlerError)
      expect(() => dispatchTo(target, { type: 'has_own_property' })).toThrow(NoHandlerError)
      expect(() => dispatchTo(target, { type: '__proto__' })).toThrow(TypeError)
      expect(() => dispatchTo(target, { type: 'getter.handler' })).toThrow(NoHandlerError)
    }
    expect(getterCalls).toBe(0)
  })
})

describe('awaitManyDispatch', () => {
  /** A source fed by hand: `push()` resolves the read in flight or queues. */
  function manualSource(): {
    source: MessageSource
    push(message: Message): void
    reads: number
    aborted: number
  } {
    const queued: Message[] = []
    let waiting: ((message: Message) => void) | null = null
    const state = {
      reads: 0,
      aborted: 0,
      push(message: Message) {
        if (waiting) {
          const resolve = waiting
          waiting = null
          resolve(message)
        } else queued.push(message)
      },
      source: (signal: AbortSignal): Promise<Message> => {
        state.reads++
        const next = queued.shift()
        if (next) return Promise.resolve(next)
        return new Promise<Message>((resolve, reject) => {
          const onAbort = (): void => {
            waiting = null
            state.aborted++
            reject(signal.reason)
          }
          waiting = (message) => {
            signal.removeEventListener('abort', onAbort)
            resolve(message)
          }
          signal.addEventListener('abort', onAbort, { once: true })
        })
      },
    }
    return state
  }

  it('dispatches in arrival order across sources and aborts the reads when dispatch throws', async () => {
    const a = manualSource()
    const b = manualSource()
    const seen: string[] = []
    const stop = new Error('stop')
    const running = awaitManyDispatch([a.source, b.source], async (message) => {
      seen.push(message.type)
      if (message.type === 'b.last') throw stop
    })
    b.push({ type: 'b.first' })
    a.push({ type: 'a.first' })
    b.push({ type: 'b.last' })
    await expect(running).rejects.toBe(stop)
    expect(seen).toEqual(['b.first', 'a.first', 'b.last'])
    expect(a.aborted).toBe(1)
    expect(b.aborted).toBe(1)
  })

  it('keeps at most one read in flight per source while a handler runs', async () => {
    const a = manualSource()
    let release = (): void => undefined
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const seen: string[] = []
    const running = awaitManyDispatch([a.source], async (message) => {
      seen.push(message.type)
      if (message.type === 'a.slow') await gate
      if (message.type === 'a.stop') throw new Error('end')
    })
    a.push({ type: 'a.slow' })
    a.push({ type: 'a.next' })
    a.push({ type: 'a.stop' })
    await new Promise((resolve) => setImmediate(resolve))
    // One read for a.slow, one read ahead (a.next); a.stop waits at the source.
    expect(seen).toEqual(['a.slow'])
    expect(a.reads).toBe(2)
    release()
    await expect(running).rejects.toThrow('end')
    expect(seen).toEqual(['a.slow', 'a.next', 'a.stop'])
  })

  it('ends with the error of a failed read', async () => {
    const failure = new Error('layer closed')
    const seen: string[] = []
    await expect(
      awaitManyDispatch([() => Promise.reject(failure)], async (message) => {
        seen.push(message.type)
      }),
    ).rejects.toBe(failure)
    expect(seen).toEqual([])
  })
})

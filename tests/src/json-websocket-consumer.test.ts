// JsonWebsocketConsumer beyond Channels' tests (checklist §3.3 item 3): bad frames get a close
// code instead of a crash, the zod schema, overridable codecs, and prototype pollution.
import { InvalidFrameError, JsonWebsocketConsumer, resetChannelLayers } from '@node-channels/core'
import { WebsocketCommunicator } from '@node-channels/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'

afterEach(async () => {
  await resetChannelLayers()
})

class Echo extends JsonWebsocketConsumer {
  override receiveJson(content: unknown): void {
    this.sendJson(content)
  }
}

async function open(app = Echo.asAsgi()): Promise<WebsocketCommunicator> {
  const communicator = new WebsocketCommunicator(app, '/json/')
  expect(await communicator.connect()).toEqual([true, null])
  return communicator
}

describe('invalid frames', () => {
  it.each([
    ['an empty text frame', { textData: '' }, 1007],
    ['text that is not JSON', { textData: '{"a": ' }, 1007],
    ['a binary frame', { bytesData: new Uint8Array([123, 125]) }, 1003],
  ])('answers %s with close code %i and keeps running', async (_what, frame, code) => {
    const communicator = await open()
    await communicator.sendTo(frame)
    expect(await communicator.receiveOutput()).toEqual({ type: 'websocket.close', code })
    await communicator.sendJsonTo({ still: 'alive' })
    expect(await communicator.receiveJsonFrom()).toEqual({ still: 'alive' })
    await communicator.disconnect(code)
  })

  it('hands the error to an overridden receiveInvalid()', async () => {
    const errors: InvalidFrameError[] = []
    class Lenient extends Echo {
      override receiveInvalid(error: InvalidFrameError): void {
        errors.push(error)
        this.sendJson({ error: error.message, code: error.closeCode })
      }
    }
    const communicator = await open(Lenient.asAsgi())
    await communicator.sendTo({ bytesData: new Uint8Array(3) })
    expect(await communicator.receiveJsonFrom()).toEqual({
      error: 'Expected a JSON text frame, got a binary frame of 3 bytes.',
      code: 1003,
    })
    await communicator.sendTo({ textData: 'nope' })
    expect(await communicator.receiveJsonFrom()).toMatchObject({ code: 1007 })
    expect(errors.map((error) => [error.name, error.closeCode])).toEqual([
      ['InvalidFrameError', 1003],
      ['InvalidFrameError', 1007],
    ])
    expect(errors[1]?.message).toMatch(/^The text frame is not valid JSON: /)
    expect(errors[1]?.cause).toBeInstanceOf(SyntaxError)
    await communicator.disconnect()
  })

  it('crashes, as Channels does, when receiveInvalid() rethrows', async () => {
    class Strict extends Echo {
      override receiveInvalid(error: InvalidFrameError): void {
        throw error
      }
    }
    const communicator = await open(Strict.asAsgi())
    await communicator.sendTo({ bytesData: new Uint8Array([1]) })
    await expect(communicator.wait()).rejects.toThrow(
      new InvalidFrameError('Expected a JSON text frame, got a binary frame of 1 bytes.', 1003),
    )
  })
})

describe('schema', () => {
  interface ChatIn {
    message: string
    room: number
  }
  const chatIn: z.ZodType<ChatIn, { message: string; room: string }> = z.object({
    message: z.string().min(1),
    room: z.string().transform(Number),
  })

  it('validates and transforms content before receiveJson()', async () => {
    const seen: ChatIn[] = []
    class Chat extends JsonWebsocketConsumer<ChatIn> {
      override schema = chatIn
      override receiveJson(content: ChatIn): void {
        seen.push(content)
        this.sendJson({ echo: content.message, room: content.room })
      }
    }
    const communicator = await open(Chat.asAsgi())
    await communicator.sendJsonTo({ message: 'hi', room: '7', extra: true })
    expect(await communicator.receiveJsonFrom()).toEqual({ echo: 'hi', room: 7 })
    expect(seen).toEqual([{ message: 'hi', room: 7 }])
    await communicator.disconnect()
  })

  it('closes with 1007 for invalid content; the error carries the zod issues', async () => {
    const errors: InvalidFrameError[] = []
    class Chat extends JsonWebsocketConsumer<ChatIn> {
      override schema = chatIn
      override receiveJson(): void {
        throw new Error('receiveJson must not see invalid content')
      }
      override receiveInvalid(error: InvalidFrameError): void | Promise<void> {
        errors.push(error)
        return super.receiveInvalid(error)
      }
    }
    const communicator = await open(Chat.asAsgi())
    await communicator.sendJsonTo({ message: '', room: 3 })
    expect(await communicator.receiveOutput()).toEqual({ type: 'websocket.close', code: 1007 })
    expect(errors).toHaveLength(1)
    expect(errors[0]?.closeCode).toBe(1007)
    expect(errors[0]?.issues.map((issue) => [issue.path, issue.code])).toEqual([
      [['message'], 'too_small'],
      [['room'], 'invalid_type'],
    ])
    expect(errors[0]?.message).toMatch(/^The JSON content does not match the schema:\n/)
    await communicator.disconnect(1007)
  })
})

describe('encodeJson / decodeJson', () => {
  it('can be overridden as static methods', async () => {
    class Custom extends JsonWebsocketConsumer {
      static override encodeJson(content: unknown): string {
        return `>${JSON.stringify(content)}`
      }
      static override decodeJson(text: string): unknown {
        return JSON.parse(text.slice(1))
      }
      override receiveJson(content: unknown): void {
        this.sendJson({ got: content }, { close: 4001 })
      }
    }
    const communicator = await open(Custom.asAsgi())
    await communicator.sendTo({ textData: '<[1,2]' })
    expect(await communicator.receiveFrom()).toBe('>{"got":[1,2]}')
    expect(await communicator.receiveOutput()).toEqual({ type: 'websocket.close', code: 4001 })
    await communicator.disconnect(4001)
  })

  it('ends the consumer when sendJson() cannot encode, even when not awaited', async () => {
    class Broken extends JsonWebsocketConsumer {
      override receiveJson(): void {
        this.sendJson(undefined)
      }
    }
    const communicator = await open(Broken.asAsgi())
    await communicator.sendJsonTo({})
    await expect(communicator.wait()).rejects.toThrow(
      new TypeError('Cannot encode undefined as JSON.'),
    )
  })
})

describe('prototype pollution', () => {
  it('drops __proto__ keys (also \\u-escaped) and constructor.prototype objects', async () => {
    const seen: unknown[] = []
    class Merging extends JsonWebsocketConsumer {
      override receiveJson(content: unknown): void {
        seen.push(content)
        // What careless user code does with content: merge it into its own state.
        const merged = Object.assign({}, content)
        this.sendJson({
          ownKeys: Object.keys(merged),
          plain: Object.getPrototypeOf(merged) === Object.prototype,
        })
      }
    }
    const communicator = await open(Merging.asAsgi())
    await communicator.sendTo({
      textData:
        '{"__proto__": {"polluted": true}, "\\u005f_proto__": {"polluted": true},' +
        ' "constructor": {"prototype": {"polluted": true}},' +
        ' "nested": {"__proto__": {"polluted": true}, "keep": 1}, "car": {"constructor": "Ford"}}',
    })
    expect(await communicator.receiveJsonFrom()).toEqual({
      ownKeys: ['nested', 'car'],
      plain: true,
    })
    expect(seen).toEqual([{ nested: { keep: 1 }, car: { constructor: 'Ford' } }])
    const content = seen[0] as { nested: object }
    expect(Object.hasOwn(content, '__proto__')).toBe(false)
    expect(Object.hasOwn(content.nested, '__proto__')).toBe(false)
    expect(Object.getPrototypeOf(content)).toBe(Object.prototype)
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined()
    await communicator.disconnect()
  })
})

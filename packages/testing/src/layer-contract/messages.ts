import type { Message } from '@node-channels/core'
import { describe, expect } from 'vitest'
import { CHANNEL_KINDS, type ContractContext, receiveWithin, uniqueName } from './context.js'

const MESSAGE_ERROR = /^A channel layer message must /

/** Send and receive: fields, copies, order, payload types and sizes, and refused messages. */
export function messageTests(ctx: ContractContext): void {
  describe('send and receive', () => {
    for (const kind of CHANNEL_KINDS) {
      ctx.it(kind.requires, `round-trips a message with its fields on ${kind.name}`, async () => {
        const layer = await ctx.open()
        const channel = await kind.create(layer)
        await layer.send(channel, { type: 'test.message', text: 'Ahoy-hoy!', count: 3 })
        expect(await receiveWithin(layer, channel)).toEqual({
          type: 'test.message',
          text: 'Ahoy-hoy!',
          count: 3,
        })
      })

      ctx.it(kind.requires, `delivers messages in FIFO order on ${kind.name}`, async () => {
        const layer = await ctx.open()
        const channel = await kind.create(layer)
        for (const type of ['message.1', 'message.2', 'message.3']) {
          await layer.send(channel, { type })
        }
        const received = [
          await receiveWithin(layer, channel),
          await receiveWithin(layer, channel),
          await receiveWithin(layer, channel),
        ]
        expect(received.map((message) => message.type)).toEqual([
          'message.1',
          'message.2',
          'message.3',
        ])
      })

      ctx.it(kind.requires, `keeps the order of 1,000 quick sends on ${kind.name}`, async () => {
        const count = 1000
        const layer = await ctx.open({ capacity: count })
        const channel = await kind.create(layer)
        // Started back to back without awaiting each one: the order of send() calls is the order.
        const sends: Array<Promise<void>> = []
        for (let index = 0; index < count; index++) {
          sends.push(layer.send(channel, { type: 'burst.message', index }))
        }
        await Promise.all(sends)
        const indexes: unknown[] = []
        for (let index = 0; index < count; index++) {
          indexes.push((await receiveWithin(layer, channel)).index)
        }
        expect(indexes).toEqual(Array.from({ length: count }, (_, index) => index))
      })
    }

    ctx.it(undefined, 'gives the receiver an equal copy, never the sent object', async () => {
      const layer = await ctx.open()
      const channel = await layer.newChannel()
      const sent = { type: 'test.message', nested: { list: [1, 2] } }
      await layer.send(channel, sent)
      await layer.send(channel, sent)
      // Changing the object after send() must not change what is delivered.
      sent.nested.list.push(3)
      const first = await receiveWithin(layer, channel)
      const second = await receiveWithin(layer, channel)
      expect(first).toEqual({ type: 'test.message', nested: { list: [1, 2] } })
      expect(first).not.toBe(sent)
      expect(first.nested).not.toBe(second.nested)
    })

    ctx.it(undefined, 'wakes a receive that was waiting before the send', async () => {
      const layer = await ctx.open()
      const channel = await layer.newChannel()
      const pending = receiveWithin(layer, channel)
      await layer.send(channel, { type: 'test.message', text: 'late' })
      expect(await pending).toEqual({ type: 'test.message', text: 'late' })
    })
  })

  describe('payloads', () => {
    ctx.it(undefined, 'round-trips binary data as a Uint8Array with equal bytes', async () => {
      const layer = await ctx.open()
      const channel = await layer.newChannel()
      const bytes = Uint8Array.from([0, 1, 127, 128, 254, 255])
      await layer.send(channel, {
        type: 'test.bytes',
        bytes,
        buffer: Buffer.from('hello'),
        empty: new Uint8Array(0),
      })
      const received = await receiveWithin(layer, channel)
      expect(received.bytes).toBeInstanceOf(Uint8Array)
      expect([...(received.bytes as Uint8Array)]).toEqual([0, 1, 127, 128, 254, 255])
      expect(received.buffer).toBeInstanceOf(Uint8Array)
      expect(new TextDecoder().decode(received.buffer as Uint8Array)).toBe('hello')
      expect(received.empty).toBeInstanceOf(Uint8Array)
      expect((received.empty as Uint8Array).byteLength).toBe(0)
    })

    ctx.it(undefined, 'round-trips nested objects and arrays', async () => {
      const message = {
        type: 'test.nested',
        room: {
          name: 'lobby',
          members: [
            { id: 1, tags: ['a', 'b'] },
            { id: 2, tags: [] },
          ],
        },
        matrix: [[1, 2], [3, [4, [5]]], []],
        empty: {},
      }
      expect(await roundTrip(ctx, message)).toEqual(message)
    })

    ctx.it(undefined, 'round-trips unicode text unchanged', async () => {
      const message = {
        type: 'test.unicode',
        emoji: '👋🏽 🇳🇱 👨‍👩‍👧',
        scripts: 'Ελληνικά русский 中文 日本語 한국어 العربية עברית हिन्दी',
        combining: 'e\u0301 a\u030a',
        controls: 'tab\tnewline\nnul\u0000',
        'ключ 🔑': 'a non-ASCII key',
      }
      expect(await roundTrip(ctx, message)).toEqual(message)
    })

    ctx.it(undefined, 'round-trips numbers up to the safe-integer limits', async () => {
      const message = {
        type: 'test.numbers',
        max: Number.MAX_SAFE_INTEGER,
        min: Number.MIN_SAFE_INTEGER,
        int32: 2 ** 31,
        uint32: 2 ** 32 + 1,
        zero: 0,
        negative: -1,
        fraction: 0.1 + 0.2,
        large: 1.5e300,
      }
      expect(await roundTrip(ctx, message)).toEqual(message)
    })

    ctx.it(undefined, 'round-trips booleans, null and empty strings', async () => {
      const message = { type: 'test.atoms', yes: true, no: false, nothing: null, blank: '' }
      expect(await roundTrip(ctx, message)).toEqual(message)
    })

    ctx.it(undefined, 'carries a 1 MB text message (the spec minimum)', async () => {
      const text = 'x'.repeat(1024 * 1024 - 1).concat('!')
      const received = await roundTrip(ctx, { type: 'test.large', text })
      expect(received.text).toHaveLength(1024 * 1024)
      expect(received.text).toBe(text)
    })

    ctx.it(undefined, 'carries a 1 MB binary message', async () => {
      const bytes = new Uint8Array(1024 * 1024).map((_, index) => index % 251)
      const received = await roundTrip(ctx, { type: 'test.large', bytes })
      expect(received.bytes).toBeInstanceOf(Uint8Array)
      expect(Buffer.from(received.bytes as Uint8Array).equals(Buffer.from(bytes))).toBe(true)
    })
  })

  describe('refused messages', () => {
    const bad: Array<[string, unknown]> = [
      ['a string', 'chat.message'],
      ['a number', 42],
      ['null', null],
      ['undefined', undefined],
      ['an array', [{ type: 'chat.message' }]],
      ['an object without a type', { text: 'hello' }],
      ['an object with a numeric type', { type: 7 }],
      ['an object with the reserved __asgi_channel__ key', { type: 'x.y', __asgi_channel__: 'a' }],
      ['an object holding a function', { type: 'x.y', callback: () => 'not data' }],
    ]

    for (const [label, message] of bad) {
      ctx.it(undefined, `send() refuses ${label} with a TypeError`, async () => {
        const layer = await ctx.open()
        const channel = await layer.newChannel()
        const error = await layer.send(channel, message as Message).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(TypeError)
        expect((error as TypeError).message).toMatch(MESSAGE_ERROR)
        // The refused message left nothing behind, and the channel still works.
        await layer.send(channel, { type: 'good.message' })
        expect(await receiveWithin(layer, channel)).toEqual({ type: 'good.message' })
      })

      ctx.it(undefined, `groupSend() refuses ${label} with a TypeError`, async () => {
        const layer = await ctx.open()
        const channel = await layer.newChannel()
        const group = uniqueName('refusing')
        await layer.groupAdd(group, channel)
        const error = await layer.groupSend(group, message as Message).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(TypeError)
        expect((error as TypeError).message).toMatch(MESSAGE_ERROR)
        await layer.groupSend(group, { type: 'good.message' })
        expect(await receiveWithin(layer, channel)).toEqual({ type: 'good.message' })
      })
    }
  })
}

// --- helpers ---

async function roundTrip(ctx: ContractContext, message: Message): Promise<Message> {
  const layer = await ctx.open()
  const channel = await layer.newChannel()
  await layer.send(channel, message)
  return receiveWithin(layer, channel)
}

import { describe, expect, it } from 'vitest'
import { splitAsgiChannel } from './asgi-channel.js'
import { decodeMessage, encodeMessage } from './msgpack-codec.js'

/** What the generic decoder makes of the same bytes, split the same way. */
function generic(bytes: Uint8Array): { message: Record<string, unknown>; channels: unknown } {
  const { __asgi_channel__: channels, ...message } = decodeMessage(bytes) as Record<string, unknown>
  return { message, channels }
}

function split(bytes: Uint8Array): { message: unknown; channels: unknown } | null {
  const result = splitAsgiChannel(bytes)
  return result && { message: decodeMessage(result.body), channels: result.channels }
}

// Every msgpack type channels_redis writes, and some it never does (ext, float32).
const TYPED = {
  type: 'task.run',
  int: 1,
  neg: -1,
  u8: 200,
  u16: 60_000,
  u32: 2 ** 32 - 1,
  big: 2 ** 40,
  i8: -100,
  i16: -30_000,
  i32: -(2 ** 31),
  i64: -(2 ** 31) - 1,
  max: 2n ** 64n - 1n,
  float: 1.5,
  none: null,
  bool: true,
  no: false,
  bytes: new Uint8Array(300),
  shortBytes: new Uint8Array([0, 1]),
  list: [1, 'a', [2, [3]]],
  long: 'é'.repeat(200),
  longer: 'x'.repeat(70_000),
  nested: { x: [{ y: new Uint8Array(0) }], empty: {} },
  many: Object.fromEntries(Array.from({ length: 20 }, (_, index) => [`k${index}`, index])),
}

describe('splitAsgiChannel', () => {
  it.each([
    ['a group message', { type: 'chat.message', text: 'hi', __asgi_channel__: ['a!1', 'a!2'] }],
    ['a process-local send', { type: 'chat.message', __asgi_channel__: 'specific.p!x' }],
    ['every type', { ...TYPED, __asgi_channel__: ['specific.p!1'] }],
    ['16 keys (map16)', { ...TYPED.many, type: 't', __asgi_channel__: 'p!1' }],
    [
      '500 long names (array16, str8)',
      {
        type: 'x',
        __asgi_channel__: Array.from({ length: 500 }, (_, i) => `specific.${'a'.repeat(32)}!${i}`),
      },
    ],
    ['non-ASCII names', { type: 'x', __asgi_channel__: ['chät!1', 'g-ü-1'] }],
    ['an empty list', { type: 'x', __asgi_channel__: [] }],
  ])('reads %s as the generic decoder does', (_label, message) => {
    const bytes = encodeMessage(message).slice()
    expect(split(bytes)).toEqual(generic(bytes))
  })

  it('leaves everything else to the generic decoder', () => {
    // encodeMessage() returns a view of a shared buffer: each case takes a copy.
    const encode = (value: unknown) => encodeMessage(value).slice()
    const cases = [
      encode({ type: 'named.channel' }),
      encode({ __asgi_channel__: ['a!1'], type: 'key not last' }),
      encode({ type: 'x', __asgi_channel__: 5 }),
      encode({ type: 'x', __asgi_channel__: ['a', 5] }),
      encode({ type: 'x', __asgi_channel__: [['nested']] }),
      encode([1, 2]),
      encode({}),
      Buffer.concat([encode({ type: 'x', __asgi_channel__: 'a!1' }), Buffer.of(0xc0)]),
      encode({ type: 'x', __asgi_channel__: 'a!1' }).subarray(0, 20),
      Uint8Array.of(0x81, 0xc1, 0xc0),
      Uint8Array.of(0x81, 0xdd, 0xff, 0xff, 0xff, 0xff),
      Uint8Array.of(0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0),
      Uint8Array.of(),
    ]
    for (const bytes of cases) expect(splitAsgiChannel(bytes)).toBeNull()
  })

  it('agrees with the generic decoder on random messages', () => {
    let seed = 42
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
      return seed / 2 ** 31
    }
    const value = (depth: number): unknown => {
      const pick = Math.floor(random() * (depth > 3 ? 6 : 8))
      if (pick === 0) return Math.floor(random() * 2 ** 40) - 2 ** 39
      if (pick === 1) return random()
      if (pick === 2) return 'é☃'.repeat(Math.floor(random() * 40))
      if (pick === 3) return new Uint8Array(Math.floor(random() * 300))
      if (pick === 4) return random() < 0.5 ? null : random() < 0.5
      if (pick === 5) return Math.floor(random() * 70_000)
      if (pick === 6)
        return Array.from({ length: Math.floor(random() * 20) }, () => value(depth + 1))
      return Object.fromEntries(
        Array.from({ length: Math.floor(random() * 20) }, (_, i) => [`k${i}`, value(depth + 1)]),
      )
    }
    for (let round = 0; round < 200; round++) {
      const message = { ...(value(4) as object), type: 't', __asgi_channel__: ['p!1', 'p!2'] }
      if (random() < 0.5) Object.assign(message, value(0))
      const bytes = encodeMessage(message).slice()
      const result = split(bytes)
      if (result) expect(result).toEqual(generic(bytes))
      else expect(Object.keys(message).at(-1)).not.toBe('__asgi_channel__')
    }
  })
})

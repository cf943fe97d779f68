import { afterEach, describe, expect, it } from 'vitest'
import { ChannelFull } from '../errors.js'
import { InMemoryChannelLayer, type InMemoryChannelLayerOptions } from './in-memory-layer.js'

// Constructor options: Channels' keyword arguments with millisecond units, checked up front,
// and a working `channel_capacity` (Channels only honours it for pre-compiled lists).

const open: InMemoryChannelLayer[] = []

function create(options?: InMemoryChannelLayerOptions): InMemoryChannelLayer {
  const layer = new InMemoryChannelLayer(options)
  open.push(layer)
  return layer
}

afterEach(async () => {
  for (const layer of open.splice(0)) await layer.close()
})

/** How many messages `channel` takes before send() throws ChannelFull (at most `bound`). */
async function capacityOf(
  layer: InMemoryChannelLayer,
  channel: string,
  bound = 50,
): Promise<number> {
  for (let sent = 0; sent < bound; sent++) {
    try {
      await layer.send(channel, { type: 'fill.message' })
    } catch (error) {
      expect(error).toBeInstanceOf(ChannelFull)
      return sent
    }
  }
  throw new Error(`${channel} took ${bound} messages without being full.`)
}

describe('InMemoryChannelLayer options', () => {
  it("uses Channels' defaults: 60 s expiry, 1 day group expiry, capacity 100", async () => {
    const layer = create()
    expect(layer.expiryMs).toBe(60_000)
    expect(layer.groupExpiryMs).toBe(86_400_000)
    expect(layer.capacity).toBe(100)
    expect(await capacityOf(layer, 'test-channel', 150)).toBe(100)
  })

  it('keeps the values it was given (test_config_instance)', () => {
    const layer = create({ expiryMs: 100_500, groupExpiryMs: 7, capacity: 9 })
    expect(layer.expiryMs).toBe(100_500)
    expect(layer.groupExpiryMs).toBe(7)
    expect(layer.capacity).toBe(9)
  })

  it.each<[string, unknown, string]>([
    ['a Python option name', { expiry: 60 }, 'unknown option "expiry"'],
    ['a misspelt option', { capcity: 3 }, 'unknown option "capcity"'],
    ['an inherited name', { toString: 3 }, 'unknown option "toString"'],
    ['a zero capacity', { capacity: 0 }, 'capacity must be a positive integer, got 0'],
    ['a fractional capacity', { capacity: 1.5 }, 'capacity must be a positive integer, got 1.5'],
    ['a capacity as a string', { capacity: '3' }, 'capacity must be a positive integer, got "3"'],
    ['a zero expiry', { expiryMs: 0 }, 'expiryMs must be a positive finite number, got 0'],
    [
      'an infinite expiry',
      { expiryMs: Number.POSITIVE_INFINITY },
      'expiryMs must be a positive finite number, got Infinity',
    ],
    [
      'a negative group expiry',
      { groupExpiryMs: -1 },
      'groupExpiryMs must be a positive finite number, got -1',
    ],
    [
      'two bad options at once',
      { expiryMs: 'soon', capacity: -2 },
      'expiryMs must be a positive finite number, got "soon"; capacity must be a positive integer, got -2',
    ],
    ['null', null, 'expected an object, got null'],
    ['a number', 5, 'expected an object, got 5'],
    ['an array', [], 'expected an object, got []'],
  ])('refuses %s with a TypeError naming it', (_label, options, detail) => {
    expect(() => new InMemoryChannelLayer(options as InMemoryChannelLayerOptions)).toThrow(
      new TypeError(
        `Invalid InMemoryChannelLayer options: ${detail} (known: expiryMs, groupExpiryMs, capacity, channelCapacity).`,
      ),
    )
  })

  it('takes options left undefined as not given', () => {
    const layer = create({ expiryMs: undefined, capacity: 7 })
    expect(layer.expiryMs).toBe(60_000)
    expect(layer.capacity).toBe(7)
  })
})

describe('channelCapacity', () => {
  it('applies glob patterns, falling back to the default capacity', async () => {
    const layer = create({
      capacity: 4,
      channelCapacity: { 'http.response!*': 1, 'http.*': 2, 'chat-?': 3 },
    })
    expect(await capacityOf(layer, 'http.response!abc')).toBe(1)
    expect(await capacityOf(layer, 'http.request')).toBe(2)
    expect(await capacityOf(layer, 'chat-1')).toBe(3)
    expect(await capacityOf(layer, 'chat-10')).toBe(4)
    expect(await capacityOf(layer, 'websocket.send')).toBe(4)
  })

  it('lets the first matching pattern win, in the order given', async () => {
    const broadFirst = create({
      channelCapacity: [
        ['http.*', 2],
        ['http.response!*', 1],
      ],
    })
    const narrowFirst = create({
      channelCapacity: [
        ['http.response!*', 1],
        ['http.*', 2],
      ],
    })
    expect(await capacityOf(broadFirst, 'http.response!x')).toBe(2)
    expect(await capacityOf(narrowFirst, 'http.response!x')).toBe(1)
    expect(await capacityOf(narrowFirst, 'http.disconnect')).toBe(2)
  })

  it('accepts RegExps, which match anywhere unless anchored', async () => {
    const layer = create({
      capacity: 5,
      channelCapacity: [
        [/^chat\./, 1],
        [/worker/, 2],
      ],
    })
    expect(await capacityOf(layer, 'chat.lobby')).toBe(1)
    expect(await capacityOf(layer, 'mychat.lobby')).toBe(5)
    expect(await capacityOf(layer, 'background-worker-1')).toBe(2)
  })

  it('gives the same answer every time for a RegExp with the g or y flag', async () => {
    const layer = create({ capacity: 5, channelCapacity: [[/^chat\./gy, 2]] })
    // A stateful lastIndex would make every other lookup miss.
    expect(await capacityOf(layer, 'chat.one')).toBe(2)
    expect(await capacityOf(layer, 'chat.two')).toBe(2)
    expect(await capacityOf(layer, 'chat.three')).toBe(2)
  })

  it('applies to process-local channels by their full name', async () => {
    const layer = create({ capacity: 5, channelCapacity: { 'specific.*': 1 } })
    const first = await layer.newChannel()
    const second = await layer.newChannel()
    expect(await capacityOf(layer, first)).toBe(1)
    expect(await capacityOf(layer, second)).toBe(1)
  })

  it.each<[string, unknown, Error]>([
    [
      'a number',
      5,
      new TypeError(
        'Channel capacities must be an object or an array of [pattern, capacity] pairs, not 5.',
      ),
    ],
    [
      'a zero capacity',
      { 'http.*': 0 },
      new RangeError('Channel capacity for "http.*" must be a positive integer, not 0.'),
    ],
    [
      'a capacity given as a string',
      [[/^a/, '3']],
      new RangeError('Channel capacity for /^a/ must be a positive integer, not "3".'),
    ],
    [
      'an entry that is not a pair',
      [['http.*']],
      new TypeError('A channel capacity entry must be a [pattern, capacity] pair, not ["http.*"].'),
    ],
    [
      'a pattern that is neither a glob nor a RegExp',
      [[42, 1]],
      new TypeError('A channel capacity pattern must be a glob string or a RegExp, not 42.'),
    ],
    [
      'a glob with a reversed range',
      { '[z-a]': 1 },
      new TypeError('Invalid channel capacity glob "[z-a]".'),
    ],
  ])('refuses %s', (_label, channelCapacity, error) => {
    expect(
      () => new InMemoryChannelLayer({ channelCapacity } as InMemoryChannelLayerOptions),
    ).toThrow(error)
  })
})

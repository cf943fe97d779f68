import { describe, expect } from 'vitest'
import { type ContractContext, receiveWithin, uniqueName } from './context.js'

/** Channels' exact wording (`invalid_name_error`), without its final period: layers may add the bad value. */
const NAME_RULE =
  'name must be a valid unicode string with length < 100 containing only ASCII alphanumerics, hyphens, underscores, or periods'

/** Invalid as channel and as group names. Python accepts the last two; a port must not. */
const INVALID_NAMES: Array<[label: string, name: unknown]> = [
  ['a shrug', '¯\\_(ツ)_/¯'],
  ['"chat" 100 times', 'chat'.repeat(100)],
  ['100 characters', 'a'.repeat(100)],
  ['a leading !', '!a'],
  ['two !', 'a!b!c'],
  ['a space', 'a b'],
  ['the empty string', ''],
  ['a ?', 'a?b'],
  ['a non-ASCII letter', 'café'],
  ['a number', 42],
  ['null', null],
  ['undefined', undefined],
  ['an object', { name: 'chat' }],
  ['a trailing newline', 'chat\n'],
  ['a non-ASCII digit', 'chat٣'],
]

/** Name validation (Channels' `require_valid_channel_name` / `require_valid_group_name`) and `newChannel()`. */
export function nameTests(ctx: ContractContext): void {
  describe('channel names', () => {
    for (const [label, name] of INVALID_NAMES) {
      ctx.it(undefined, `refuses ${label} as a channel name in every method`, async () => {
        const layer = await ctx.open()
        const channel = name as string
        const group = uniqueName('group')
        const message = { type: 'test.message' }
        await expectNameError(layer.send(channel, message), 'Channel')
        // A receive that waited instead of refusing would end with a TimeoutError, not hang.
        await expectNameError(
          layer.receive(channel, { signal: AbortSignal.timeout(1000) }),
          'Channel',
        )
        await expectNameError(layer.groupAdd(group, channel), 'Channel')
        await expectNameError(layer.groupDiscard(group, channel), 'Channel')
      })
    }

    ctx.it('namedChannelQueue', 'delivers on a 99-character channel name', async () => {
      const layer = await ctx.open()
      const channel = `${uniqueName('a')}.`.padEnd(99, 'a')
      expect(channel).toHaveLength(99)
      await layer.send(channel, { type: 'test.message' })
      expect(await receiveWithin(layer, channel)).toEqual({ type: 'test.message' })
    })

    ctx.it(
      'namedChannelQueue',
      'delivers on names made of letters, digits, hyphens, underscores and periods',
      async () => {
        const layer = await ctx.open()
        const channel = uniqueName('Test-channel_1.x')
        await layer.send(channel, { type: 'test.message', text: channel })
        expect(await receiveWithin(layer, channel)).toEqual({ type: 'test.message', text: channel })
      },
    )

    ctx.it(undefined, 'accepts "a!b" as a channel name but refuses it as a group', async () => {
      const layer = await ctx.open()
      await expect(layer.send('a!b', { type: 'test.message' })).resolves.toBeUndefined()
      await expect(layer.send('a!', { type: 'test.message' })).resolves.toBeUndefined()
      await expectNameError(layer.groupSend('a!b', { type: 'test.message' }), 'Group')
      await expectNameError(layer.groupSend('a!', { type: 'test.message' }), 'Group')
    })
  })

  describe('group names', () => {
    for (const [label, name] of INVALID_NAMES) {
      ctx.it(undefined, `refuses ${label} as a group name in every method`, async () => {
        const layer = await ctx.open()
        const channel = await layer.newChannel()
        const group = name as string
        await expectNameError(layer.groupAdd(group, channel), 'Group')
        await expectNameError(layer.groupDiscard(group, channel), 'Group')
        await expectNameError(layer.groupSend(group, { type: 'test.message' }), 'Group')
      })
    }

    ctx.it(undefined, 'delivers to groups with 99-character and punctuated names', async () => {
      const layer = await ctx.open()
      const channel = await layer.newChannel()
      const long = `${uniqueName('g')}.`.padEnd(99, 'g')
      const punctuated = uniqueName('Chat-room_1.x')
      await layer.groupAdd(long, channel)
      await layer.groupAdd(punctuated, channel)
      await layer.groupSend(long, { type: 'test.message', via: 'long' })
      await layer.groupSend(punctuated, { type: 'test.message', via: 'punctuated' })
      expect(await receiveWithin(layer, channel)).toEqual({ type: 'test.message', via: 'long' })
      expect(await receiveWithin(layer, channel)).toEqual({
        type: 'test.message',
        via: 'punctuated',
      })
    })
  })

  describe('newChannel()', () => {
    ctx.it(
      undefined,
      'returns distinct, valid channel names that can be received from',
      async () => {
        const layer = await ctx.open()
        const names = new Set<string>()
        for (let index = 0; index < 100; index++) names.add(await layer.newChannel())
        expect(names.size).toBe(100)
        const [first] = names
        expect(first).toBeTypeOf('string')
        const channel = first as string
        await layer.send(channel, { type: 'test.message', to: channel })
        expect(await receiveWithin(layer, channel)).toEqual({ type: 'test.message', to: channel })
      },
    )

    ctx.it(
      'processLocalNames',
      'names process-local channels "<prefix>.<layer part>!<suffix>"',
      async () => {
        const layer = await ctx.open()
        expect(await layer.newChannel()).toMatch(/^specific\.[\w.-]*![\w.-]+$/)
        expect(await layer.newChannel('foo')).toMatch(/^foo\.[\w.-]*![\w.-]+$/)
        expect(await layer.newChannel('worker.tasks')).toMatch(/^worker\.tasks\.[\w.-]*![\w.-]+$/)
      },
    )
  })
}

// --- helpers ---

async function expectNameError(call: Promise<unknown>, kind: 'Channel' | 'Group'): Promise<void> {
  const error = await call.then(
    (value) => new Error(`Expected a TypeError for an invalid ${kind} name, got ${String(value)}.`),
    (reason: unknown) => reason,
  )
  expect(error).toBeInstanceOf(TypeError)
  const prefix = `${kind} ${NAME_RULE}`
  expect((error as TypeError).message.slice(0, prefix.length)).toBe(prefix)
}

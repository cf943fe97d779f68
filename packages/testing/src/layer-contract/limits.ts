import { ChannelFull } from '@node-channels/core'
import { describe, expect } from 'vitest'
import {
  CHANNEL_KINDS,
  type ContractContext,
  expectNoMessage,
  receiveWithin,
  uniqueName,
} from './context.js'

/** Capacity and expiry: `ChannelFull`, group sends that drop, message and group expiry. */
export function limitTests(ctx: ContractContext): void {
  describe('capacity', () => {
    for (const kind of CHANNEL_KINDS) {
      ctx.it(
        ['capacity', ...(kind.requires ? [kind.requires] : [])],
        `throws ChannelFull naming the channel once ${kind.name} is full`,
        async () => {
          const layer = await ctx.open({ capacity: ctx.capacity })
          const channel = await kind.create(layer)
          for (let index = 0; index < ctx.capacity; index++) {
            await layer.send(channel, { type: 'test.message', index })
          }
          const error = await layer
            .send(channel, { type: 'test.message', index: ctx.capacity })
            .catch((e: unknown) => e)
          expect(error).toBeInstanceOf(ChannelFull)
          expect((error as ChannelFull).name).toBe('ChannelFull')
          expect((error as ChannelFull).channel).toBe(channel)
          // Reading one message frees one place.
          expect((await receiveWithin(layer, channel)).index).toBe(0)
          await layer.send(channel, { type: 'test.message', index: 'again' })
          const rest: unknown[] = []
          for (let index = 0; index < ctx.capacity; index++) {
            rest.push((await receiveWithin(layer, channel)).index)
          }
          expect(rest).toEqual([
            ...Array.from({ length: ctx.capacity - 1 }, (_, i) => i + 1),
            'again',
          ])
        },
      )
    }

    ctx.it(
      'capacity',
      'groupSend() never throws ChannelFull; a full member misses messages',
      async () => {
        const layer = await ctx.open({ capacity: ctx.capacity })
        const channel = await layer.newChannel()
        const group = uniqueName('test-group')
        await layer.groupAdd(group, channel)
        // test_groups_channel_full and test_group_send_capacity: more sends than places.
        for (let index = 0; index < ctx.capacity + 2; index++) {
          await expect(
            layer.groupSend(group, { type: 'test.message', index }),
          ).resolves.toBeUndefined()
        }
        for (let index = 0; index < ctx.capacity; index++) {
          expect((await receiveWithin(layer, channel)).index).toBe(index)
        }
        await expectNoMessage(layer, channel, ctx.noMessageTimeoutMs)
      },
    )

    ctx.it('capacity', 'groupSend() still reaches members that have room', async () => {
      const layer = await ctx.open({ capacity: ctx.capacity })
      const full = await layer.newChannel()
      const roomy = await layer.newChannel()
      const group = uniqueName('test-group')
      for (let index = 0; index < ctx.capacity; index++) {
        await layer.send(full, { type: 'direct.message', index })
      }
      await layer.groupAdd(group, full)
      await layer.groupAdd(group, roomy)
      await layer.groupSend(group, { type: 'group.message' })
      expect(await receiveWithin(layer, roomy)).toEqual({ type: 'group.message' })
      for (let index = 0; index < ctx.capacity; index++) {
        expect(await receiveWithin(layer, full)).toEqual({ type: 'direct.message', index })
      }
      await expectNoMessage(layer, full, ctx.noMessageTimeoutMs)
    })
  })

  describe('message expiry', () => {
    ctx.it(['expiry', 'namedChannelQueue'], 'drops a message nobody read in time', async () => {
      // test_expiry_single
      const layer = await ctx.open({ expiryMs: ctx.expiryMs })
      const channel = uniqueName('test-channel')
      await layer.send(channel, { type: 'message.1' })
      await ctx.waitPast(ctx.expiryMs)
      await expectNoMessage(layer, channel, ctx.noMessageTimeoutMs)
    })

    ctx.it(
      ['expiry', 'namedChannelQueue'],
      'drops an unread message while other channels are used',
      async () => {
        // test_expiry_unread
        const layer = await ctx.open({ expiryMs: ctx.expiryMs })
        const first = uniqueName('test-channel-1')
        const second = uniqueName('test-channel-2')
        await layer.send(first, { type: 'message.1' })
        await ctx.waitPast(ctx.expiryMs)
        await layer.send(second, { type: 'message.2' })
        expect(await receiveWithin(layer, second)).toEqual({ type: 'message.2' })
        await expectNoMessage(layer, first, ctx.noMessageTimeoutMs)
      },
    )

    ctx.it(
      ['expiry', 'namedChannelQueue'],
      'drops only the expired messages of a channel',
      async () => {
        // test_expiry_multi
        const layer = await ctx.open({ expiryMs: ctx.expiryMs })
        const channel = uniqueName('test-channel')
        for (const type of ['message.1', 'message.2', 'message.3']) {
          await layer.send(channel, { type })
        }
        expect(await receiveWithin(layer, channel)).toEqual({ type: 'message.1' })
        await ctx.waitPast(ctx.expiryMs)
        await layer.send(channel, { type: 'message.4' })
        expect(await receiveWithin(layer, channel)).toEqual({ type: 'message.4' })
        await expectNoMessage(layer, channel, ctx.noMessageTimeoutMs)
      },
    )

    ctx.it(
      ['expiry', 'capacity', 'namedChannelQueue'],
      'frees the places of expired messages for new sends',
      async () => {
        const layer = await ctx.open({ capacity: ctx.capacity, expiryMs: ctx.expiryMs })
        const channel = uniqueName('test-channel')
        for (let index = 0; index < ctx.capacity; index++) {
          await layer.send(channel, { type: 'stale.message', index })
        }
        await ctx.waitPast(ctx.expiryMs)
        await layer.send(channel, { type: 'fresh.message' })
        expect(await receiveWithin(layer, channel)).toEqual({ type: 'fresh.message' })
        await expectNoMessage(layer, channel, ctx.noMessageTimeoutMs)
      },
    )
  })

  describe('group expiry', () => {
    ctx.it('groupExpiry', 'drops a membership older than the group expiry', async () => {
      const layer = await ctx.open({ groupExpiryMs: ctx.groupExpiryMs })
      const channel = await layer.newChannel()
      const group = uniqueName('test-group')
      await layer.groupAdd(group, channel)
      await ctx.waitPast(ctx.groupExpiryMs)
      await layer.groupSend(group, { type: 'test.message' })
      await expectNoMessage(layer, channel, ctx.noMessageTimeoutMs)
    })

    ctx.it('groupExpiry', 'lets an expired member join again with groupAdd()', async () => {
      const layer = await ctx.open({ groupExpiryMs: ctx.groupExpiryMs })
      const channel = await layer.newChannel()
      const group = uniqueName('test-group')
      await layer.groupAdd(group, channel)
      await ctx.waitPast(ctx.groupExpiryMs)
      await layer.groupAdd(group, channel)
      await layer.groupSend(group, { type: 'test.message', text: 'rejoined' })
      expect(await receiveWithin(layer, channel)).toEqual({
        type: 'test.message',
        text: 'rejoined',
      })
    })
  })
}

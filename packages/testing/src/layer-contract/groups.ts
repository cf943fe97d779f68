import { describe, expect } from 'vitest'
import { type ContractContext, expectNoMessage, receiveWithin, uniqueName } from './context.js'

/**
 * Groups: membership, fan-out, no-op removals and flush(). Mirrors test_groups_basic and friends.
 * Members are process-local channels, since a pub/sub layer only groups its own channels.
 */
export function groupTests(ctx: ContractContext): void {
  describe('groups', () => {
    ctx.it(undefined, 'sends to the members left after a discard (test_groups_basic)', async () => {
      const layer = await ctx.open()
      const one = await layer.newChannel()
      const two = await layer.newChannel()
      const three = await layer.newChannel()
      const group = uniqueName('test-group')
      await layer.groupAdd(group, one)
      await layer.groupAdd(group, two)
      await layer.groupAdd(group, three)
      await layer.groupDiscard(group, two)
      await layer.groupSend(group, { type: 'message.1' })
      expect(await receiveWithin(layer, one)).toEqual({ type: 'message.1' })
      expect(await receiveWithin(layer, three)).toEqual({ type: 'message.1' })
      await expectNoMessage(layer, two, ctx.noMessageTimeoutMs)
    })

    ctx.it(undefined, 'counts a channel added twice as one member', async () => {
      const layer = await ctx.open()
      const channel = await layer.newChannel()
      const group = uniqueName('test-group')
      await layer.groupAdd(group, channel)
      await layer.groupAdd(group, channel)
      await layer.groupSend(group, { type: 'message.1' })
      expect(await receiveWithin(layer, channel)).toEqual({ type: 'message.1' })
      await expectNoMessage(layer, channel, ctx.noMessageTimeoutMs)
      // One discard removes the single membership.
      await layer.groupDiscard(group, channel)
      await layer.groupSend(group, { type: 'message.2' })
      await expectNoMessage(layer, channel, ctx.noMessageTimeoutMs)
    })

    ctx.it(undefined, 'treats discarding an unknown group or channel as a no-op', async () => {
      const layer = await ctx.open()
      const member = await layer.newChannel()
      const stranger = await layer.newChannel()
      const group = uniqueName('test-group')
      await expect(layer.groupDiscard(uniqueName('no-such-group'), member)).resolves.toBeUndefined()
      await layer.groupAdd(group, member)
      await expect(layer.groupDiscard(group, stranger)).resolves.toBeUndefined()
      await layer.groupSend(group, { type: 'message.1' })
      expect(await receiveWithin(layer, member)).toEqual({ type: 'message.1' })
      await expectNoMessage(layer, stranger, ctx.noMessageTimeoutMs)
    })

    ctx.it(undefined, 'treats a send to an unknown group as a no-op', async () => {
      const layer = await ctx.open()
      const channel = await layer.newChannel()
      await expect(
        layer.groupSend(uniqueName('no-such-group'), { type: 'message.1' }),
      ).resolves.toBeUndefined()
      await expectNoMessage(layer, channel, ctx.noMessageTimeoutMs)
    })

    ctx.it(undefined, 'delivers to a channel through each of its groups', async () => {
      const layer = await ctx.open()
      const channel = await layer.newChannel()
      const red = uniqueName('red')
      const blue = uniqueName('blue')
      await layer.groupAdd(red, channel)
      await layer.groupAdd(blue, channel)
      await layer.groupSend(red, { type: 'color.message', color: 'red' })
      await layer.groupSend(blue, { type: 'color.message', color: 'blue' })
      expect(await receiveWithin(layer, channel)).toEqual({ type: 'color.message', color: 'red' })
      expect(await receiveWithin(layer, channel)).toEqual({ type: 'color.message', color: 'blue' })
      // Leaving one group keeps the other.
      await layer.groupDiscard(red, channel)
      await layer.groupSend(red, { type: 'color.message', color: 'red' })
      await layer.groupSend(blue, { type: 'color.message', color: 'blue' })
      expect(await receiveWithin(layer, channel)).toEqual({ type: 'color.message', color: 'blue' })
      await expectNoMessage(layer, channel, ctx.noMessageTimeoutMs)
    })

    ctx.it(undefined, 'gives every member its own copy of the message', async () => {
      const layer = await ctx.open()
      const one = await layer.newChannel()
      const two = await layer.newChannel()
      const group = uniqueName('test-group')
      await layer.groupAdd(group, one)
      await layer.groupAdd(group, two)
      const sent = { type: 'test.message', payload: { items: ['a'] } }
      await layer.groupSend(group, sent)
      sent.payload.items.push('changed after send')
      const first = await receiveWithin(layer, one)
      const second = await receiveWithin(layer, two)
      expect(first).toEqual({ type: 'test.message', payload: { items: ['a'] } })
      expect(second).toEqual(first)
      expect(first.payload).not.toBe(second.payload)
    })

    ctx.it(undefined, 'delivers exactly once to each of 50 members', async () => {
      const layer = await ctx.open()
      const members: string[] = []
      for (let index = 0; index < 50; index++) members.push(await layer.newChannel())
      const group = uniqueName('big-group')
      for (const member of members) await layer.groupAdd(group, member)
      await layer.groupSend(group, { type: 'broadcast.message' })
      for (const member of members) {
        expect(await receiveWithin(layer, member)).toEqual({ type: 'broadcast.message' })
      }
      await Promise.all(
        members.map((member) => expectNoMessage(layer, member, ctx.noMessageTimeoutMs)),
      )
    })

    ctx.it(undefined, 'lets a discarded channel join again', async () => {
      const layer = await ctx.open()
      const channel = await layer.newChannel()
      const group = uniqueName('test-group')
      await layer.groupAdd(group, channel)
      await layer.groupDiscard(group, channel)
      await layer.groupAdd(group, channel)
      await layer.groupSend(group, { type: 'message.1' })
      expect(await receiveWithin(layer, channel)).toEqual({ type: 'message.1' })
    })

    ctx.it(undefined, 'forgets every group on flush()', async () => {
      const layer = await ctx.open()
      const channel = await layer.newChannel()
      const group = uniqueName('test-group')
      await layer.groupAdd(group, channel)
      await layer.flush()
      await layer.groupSend(group, { type: 'message.1' })
      await expectNoMessage(layer, channel, ctx.noMessageTimeoutMs)
    })
  })
}

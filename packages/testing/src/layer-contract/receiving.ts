import { describe, expect } from 'vitest'
import {
  CHANNEL_KINDS,
  type ContractContext,
  expectNoMessage,
  receiveWithin,
  uniqueName,
} from './context.js'

/** Waiting receivers: competing receivers, cancellation with AbortSignal, and flush(). */
export function receivingTests(ctx: ContractContext): void {
  describe('receive()', () => {
    for (const kind of CHANNEL_KINDS) {
      ctx.it(
        kind.requires,
        `gives each concurrent receiver a different message on ${kind.name}`,
        async () => {
          const layer = await ctx.open()
          const channel = await kind.create(layer)
          const receivers = [1, 2, 3].map(() => receiveWithin(layer, channel))
          for (const index of [1, 2, 3]) await layer.send(channel, { type: 'test.message', index })
          const indexes = (await Promise.all(receivers)).map((message) => message.index)
          expect([...indexes].sort()).toEqual([1, 2, 3])
          await expectNoMessage(layer, channel, ctx.noMessageTimeoutMs)
        },
      )

      ctx.it(
        kind.requires,
        `hands a message sent after an aborted receive to the next receiver on ${kind.name}`,
        async () => {
          const layer = await ctx.open()
          const channel = await kind.create(layer)
          const controller = new AbortController()
          const aborted = layer.receive(channel, { signal: controller.signal })
          const reason = new Error('consumer stopped')
          controller.abort(reason)
          await expect(aborted).rejects.toBe(reason)
          await layer.send(channel, { type: 'test.message', text: 'after abort' })
          expect(await receiveWithin(layer, channel)).toEqual({
            type: 'test.message',
            text: 'after abort',
          })
        },
      )
    }

    ctx.it(undefined, 'rejects with the signal reason when aborted while waiting', async () => {
      const layer = await ctx.open()
      const channel = await layer.newChannel()
      const controller = new AbortController()
      const pending = layer.receive(channel, { signal: controller.signal })
      const reason = new Error('disconnected')
      controller.abort(reason)
      await expect(pending).rejects.toBe(reason)
    })

    ctx.it(undefined, 'rejects with a TimeoutError when AbortSignal.timeout() fires', async () => {
      const layer = await ctx.open()
      const channel = await layer.newChannel()
      const error = await layer
        .receive(channel, { signal: AbortSignal.timeout(20) })
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(DOMException)
      expect((error as DOMException).name).toBe('TimeoutError')
    })

    ctx.it(
      undefined,
      'leaves the message to a second waiter when the first is aborted',
      async () => {
        const layer = await ctx.open()
        const channel = await layer.newChannel()
        const controller = new AbortController()
        const first = layer.receive(channel, { signal: controller.signal })
        const second = receiveWithin(layer, channel)
        controller.abort(new Error('first receiver gone'))
        await expect(first).rejects.toThrow('first receiver gone')
        await layer.send(channel, { type: 'test.message', for: 'second' })
        expect(await second).toEqual({ type: 'test.message', for: 'second' })
      },
    )

    ctx.it(
      undefined,
      'refuses an already-aborted signal at once and takes no message',
      async () => {
        const layer = await ctx.open()
        const channel = await layer.newChannel()
        await layer.send(channel, { type: 'test.message', text: 'kept' })
        const reason = new Error('already gone')
        await expect(layer.receive(channel, { signal: AbortSignal.abort(reason) })).rejects.toBe(
          reason,
        )
        expect(await receiveWithin(layer, channel)).toEqual({ type: 'test.message', text: 'kept' })
      },
    )

    ctx.it(undefined, 'keeps messages for other channels apart', async () => {
      const layer = await ctx.open()
      const one = await layer.newChannel()
      const two = await layer.newChannel()
      await layer.send(one, { type: 'test.message', to: 'one' })
      await layer.send(two, { type: 'test.message', to: 'two' })
      expect(await receiveWithin(layer, two)).toEqual({ type: 'test.message', to: 'two' })
      expect(await receiveWithin(layer, one)).toEqual({ type: 'test.message', to: 'one' })
      await expectNoMessage(layer, two, ctx.noMessageTimeoutMs)
    })
  })

  describe('flush()', () => {
    ctx.it(undefined, 'drops queued messages on every channel', async () => {
      const layer = await ctx.open()
      const local = await layer.newChannel()
      await layer.send(local, { type: 'test.message' })
      await layer.send(local, { type: 'test.message' })
      await layer.flush()
      await expectNoMessage(layer, local, ctx.noMessageTimeoutMs)
    })

    ctx.it('namedChannelQueue', 'drops queued messages on named channels', async () => {
      const layer = await ctx.open()
      const named = uniqueName('test-channel')
      await layer.send(named, { type: 'test.message' })
      await layer.flush()
      await expectNoMessage(layer, named, ctx.noMessageTimeoutMs)
      // The channel works again after the flush.
      await layer.send(named, { type: 'test.message', text: 'fresh' })
      expect(await receiveWithin(layer, named)).toEqual({ type: 'test.message', text: 'fresh' })
    })

    ctx.it('flushKeepsReceivers', 'does not lose a receive that was waiting', async () => {
      const layer = await ctx.open()
      const channel = await layer.newChannel()
      const pending = receiveWithin(layer, channel)
      await layer.flush()
      await layer.send(channel, { type: 'test.message', text: 'after flush' })
      expect(await pending).toEqual({ type: 'test.message', text: 'after flush' })
    })

    ctx.it(undefined, 'advertises the groups and flush extensions', async () => {
      const layer = await ctx.open()
      expect(layer.extensions).toEqual(expect.arrayContaining(['groups', 'flush']))
    })
  })
}

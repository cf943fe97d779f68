import type { Application, Scope } from '@node-channels/core'
import { describe, expect, it } from 'vitest'
import { ChannelNameRouter } from './channel-name-router.js'
import { call, forbiddenReceive, forbiddenSend, MockApplication } from './router.test-util.js'

describe('ChannelNameRouter (test_channel_name_router)', () => {
  const test = new MockApplication(1)
  const router = ChannelNameRouter({ test: test.app, other_test: new MockApplication(2).app })

  it('dispatches on scope.channel and passes the scope on unchanged', async () => {
    const scope = { type: 'channel', channel: 'test' }
    expect(await call(router, scope)).toBe(1)
    expect(test.scopes[0]).toBe(scope)
    expect(await call(router, { type: 'channel', channel: 'other_test' })).toBe(2)
  })

  it('refuses an unknown channel name with Channels message', async () => {
    await expect(call(router, { type: 'channel', channel: 'chat' })).rejects.toThrow(
      new TypeError("No application configured for channel name 'chat'"),
    )
    await expect(call(router, { type: 'channel', channel: 'constructor' })).rejects.toThrow(
      new TypeError("No application configured for channel name 'constructor'"),
    )
    await expect(call(router, { type: 'channel', channel: 5 })).rejects.toThrow(
      new TypeError('No application configured for channel name 5'),
    )
  })

  it('refuses a scope without a channel with Channels message', async () => {
    await expect(call(router, { type: 'http' })).rejects.toThrow(
      new TypeError(
        "ChannelNameRouter got a scope without a 'channel' key. " +
          "Did you make sure it's only being used for 'channel' type messages?",
      ),
    )
    await expect(
      router(undefined as unknown as Scope, forbiddenReceive, forbiddenSend),
    ).rejects.toThrow(new TypeError('ChannelNameRouter expects a scope object, got undefined.'))
  })

  it('routes the thumbnails-generate example', async () => {
    const worker = new MockApplication('generated')
    const thumbnails = ChannelNameRouter({ 'thumbnails-generate': worker.app })
    expect(await call(thumbnails, { type: 'channel', channel: 'thumbnails-generate' })).toBe(
      'generated',
    )
  })

  it('refuses applications that are not functions when it is built', () => {
    expect(() => ChannelNameRouter({ test: 1 as unknown as Application })).toThrow(
      new TypeError(
        "ChannelNameRouter() expects an application function for channel 'test', got 1.",
      ),
    )
    expect(() => ChannelNameRouter([] as unknown as Record<string, Application>)).toThrow(
      new TypeError(
        'ChannelNameRouter() expects an object of applications keyed by channel name, got [].',
      ),
    )
  })
})

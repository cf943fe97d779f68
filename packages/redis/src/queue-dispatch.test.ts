import { describe, expect, it } from 'vitest'
import { encodeChannelList } from './channel-list.js'
import type { GroupDelivery } from './group-delivery.js'
import type { LocalChannels } from './local-channels.js'
import { QueueDispatcher } from './queue-dispatch.js'
import { MessageSerializer } from './serializer.js'

const QUEUE = 'specific.abc!'
const KEY = `asgi:${QUEUE}`

/** A dispatcher delivering into a record of (channel, message) pairs, and the warnings it logged. */
function dispatcher() {
  const serializer = new MessageSerializer({
    randomPrefixLength: 12,
    symmetricEncryptionKeys: [],
    ttlSeconds: 60,
    maxMessageBytes: 1 << 20,
  })
  const delivered: [string, unknown][] = []
  const warnings: string[] = []
  const local = {
    deliverToMember(channel: string, group: GroupDelivery): boolean {
      delivered.push([channel, group.nextCopy()])
      return true
    },
  } as unknown as LocalChannels
  const logger = { info: () => {}, warn: (line: string) => warnings.push(line), error: () => {} }
  const target = new QueueDispatcher({ serializer, local, expiryMs: 60_000, logger })
  const send = (text: string, channels: string[], queue = QUEUE): void => {
    const list = encodeChannelList(channels.map((channel) => Buffer.from(channel)))
    const body = serializer.encodeBody({ type: 'chat.message', text }, KEY)
    const member = serializer.groupMember(body, list, KEY)
    target.dispatchLocal(KEY, queue, member, Date.now() / 1000)
  }
  return { send, delivered, warnings }
}

describe('QueueDispatcher.dispatchLocal', () => {
  it('hands a group message to each channel of the queue, on every message of the same list', () => {
    const { send, delivered, warnings } = dispatcher()
    const channels = [`${QUEUE}one`, `${QUEUE}two`]
    send('first', channels)
    send('second', channels)
    expect(delivered).toEqual([
      [`${QUEUE}one`, { type: 'chat.message', text: 'first' }],
      [`${QUEUE}two`, { type: 'chat.message', text: 'first' }],
      [`${QUEUE}one`, { type: 'chat.message', text: 'second' }],
      [`${QUEUE}two`, { type: 'chat.message', text: 'second' }],
    ])
    expect(warnings).toEqual([])
  })

  it('skips a channel of another queue and warns, on every message of the same list', () => {
    const { send, delivered, warnings } = dispatcher()
    const channels = [`${QUEUE}one`, 'specific.other!two']
    send('first', channels)
    send('second', channels)
    expect(delivered.map(([channel]) => channel)).toEqual([`${QUEUE}one`, `${QUEUE}one`])
    const warning = `Skipped channel "specific.other!two", which does not belong to Redis key "${KEY}".`
    expect(warnings).toEqual([warning, warning])
  })

  it('checks a list found to belong to one queue again for another', () => {
    const { send, delivered, warnings } = dispatcher()
    const channels = [`${QUEUE}one`]
    send('first', channels)
    send('second', channels, 'specific.other!')
    expect(delivered.map(([channel]) => channel)).toEqual([`${QUEUE}one`])
    expect(warnings).toEqual([
      `Skipped channel "${QUEUE}one", which does not belong to Redis key "${KEY}".`,
    ])
  })
})

import { MessageTooLarge } from '@node-channels/core'
import { describe, expect, it } from 'vitest'
import { encodeChannelList } from './channel-list.js'
import { InvalidToken } from './fernet.js'
import { encodeMessage } from './msgpack-codec.js'
import { MessageSerializer } from './serializer.js'

const plain = (randomPrefixLength = 12, maxMessageBytes = 64) =>
  new MessageSerializer({
    randomPrefixLength,
    symmetricEncryptionKeys: [],
    ttlSeconds: 70,
    maxMessageBytes,
  })

describe('MessageSerializer', () => {
  // channels_redis tests/test_serializers.py::test_serialize with prefix lengths 12, 8 and 0
  it.each([12, 8, 0])('puts %i random bytes before the msgpack body', (length) => {
    const serializer = plain(length)
    const first = serializer.serialize({ a: true, b: null, c: { d: [] } }, 'x')
    const second = serializer.serialize({ a: true, b: null, c: { d: [] } }, 'x')
    expect(first.subarray(length).toString('hex')).toBe('83a161c3a162c0a16381a16490')
    expect(first.length).toBe(length + 13)
    if (length > 0) expect(first.subarray(0, length)).not.toEqual(second.subarray(0, length))
  })

  // channels_redis tests/test_core.py::test_deserialize
  it('strips exactly the prefix before decoding', () => {
    const stored = Buffer.concat([
      Buffer.from('Q\x0c\xbb?Q\xbc\xe3|D\xfd9\x00', 'latin1'),
      Buffer.from('83a161c3a162c0a16381a16490', 'hex'),
    ])
    expect(plain().deserialize(stored)).toEqual({ a: true, b: null, c: { d: [] } })
  })

  // channels_redis tests/test_serializers.py::test_serialization_encrypted
  it('encrypts with Fernet behind the prefix and round-trips', () => {
    const serializer = new MessageSerializer({
      randomPrefixLength: 4,
      symmetricEncryptionKeys: ['a-test-key'],
      ttlSeconds: 70,
      maxMessageBytes: 1024,
    })
    const stored = serializer.serialize({ type: 'test.message', text: 'secret text' }, 'x')
    expect(stored.includes('secret text')).toBe(false)
    expect(stored.subarray(4, 9).toString('latin1')).toBe('gAAAA')
    expect(serializer.deserialize(stored)).toEqual({ type: 'test.message', text: 'secret text' })
    const otherKey = new MessageSerializer({
      randomPrefixLength: 4,
      symmetricEncryptionKeys: ['another-key'],
      ttlSeconds: 70,
      maxMessageBytes: 1024,
    })
    expect(() => otherKey.deserialize(stored)).toThrow(InvalidToken)
  })

  it('appends "__asgi_channel__" last, as Python\'s group_send does, across map header sizes', () => {
    const serializer = plain(12, 2 ** 20)
    for (const size of [1, 15, 16, 65_535]) {
      const message: Record<string, unknown> = { type: 'chat.message' }
      for (let index = 1; index < size; index++) message[`k${index}`] = index
      const names = ['specific.abc!1', 'specific.abc!2']
      const appended = serializer.withAsgiChannel(
        serializer.encodeBody(message, 'g'),
        encodeChannelList(names.map((name) => Buffer.from(name))),
        'g',
      )
      const expected = Buffer.from(encodeMessage({ ...message, __asgi_channel__: names }))
      expect(Buffer.from(appended).equals(expected)).toBe(true)
    }
  })

  it('builds a group member as frame(withAsgiChannel(...)) does, with or without a prefix', () => {
    for (const prefixLength of [12, 0]) {
      const serializer = plain(prefixLength, 2 ** 20)
      for (const [size, count] of [
        [1, 1],
        [15, 15],
        [16, 16],
        [300, 70],
      ] as const) {
        const message: Record<string, unknown> = { type: 'chat.message' }
        for (let index = 1; index < size; index++) message[`k${index}`] = index
        const names = Array.from({ length: count }, (_, index) =>
          Buffer.from(`specific.${'p'.repeat(index % 40)}!${index}`),
        )
        names.push(Buffer.concat([Buffer.from('specific.x!'), Buffer.of(0xff)]))
        const body = serializer.encodeBody(message, 'g')
        const member = serializer.groupMember(body, encodeChannelList(names), 'g')
        const expected = serializer.withAsgiChannel(body, encodeChannelList(names), 'g')
        expect(member.length).toBe(prefixLength + expected.byteLength)
        expect(member.subarray(prefixLength).equals(Buffer.from(expected))).toBe(true)
      }
    }
  })

  it('refuses a group member over maxMessageBytes as withAsgiChannel() does', () => {
    const serializer = plain(12, 60)
    const body = serializer.encodeBody({ type: 'chat.message' }, 'g')
    const names = [Buffer.from(`specific.${'a'.repeat(40)}!1`)]
    let expected: unknown = null
    try {
      serializer.withAsgiChannel(body, encodeChannelList(names), 'room')
    } catch (error) {
      expected = error
    }
    expect(expected).toBeInstanceOf(MessageTooLarge)
    expect(() => serializer.groupMember(body, encodeChannelList(names), 'room')).toThrow(
      expected as Error,
    )
  })

  it('encrypts a group member with keys, decrypting to the message with its channels', () => {
    const serializer = new MessageSerializer({
      randomPrefixLength: 12,
      symmetricEncryptionKeys: ['a-test-key'],
      ttlSeconds: 70,
      maxMessageBytes: 2 ** 20,
    })
    const body = serializer.encodeBody({ type: 'chat.message', n: 1 }, 'g')
    const member = serializer.groupMember(
      body,
      encodeChannelList([Buffer.from('specific.a!1')]),
      'g',
    )
    expect(serializer.deserialize(member)).toEqual({
      type: 'chat.message',
      n: 1,
      __asgi_channel__: ['specific.a!1'],
    })
  })

  it('refuses a message whose encoded body is over maxMessageBytes', () => {
    expect(() => plain().serialize({ type: 'big', text: 'x'.repeat(64) }, 'chat')).toThrow(
      new MessageTooLarge(
        'The message for "chat" is 81 bytes encoded, over the limit of 64 bytes (maxMessageBytes).',
      ),
    )
  })
})

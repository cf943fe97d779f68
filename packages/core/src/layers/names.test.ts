import { describe, expect, it } from 'vitest'
import { nonLocalName, requireValidChannelName, requireValidGroupName } from './names.js'

// A port of Channels' tests/test_layers.py name tests, with Python's quirks removed.

const RULE =
  'name must be a valid unicode string with length < 100 containing only ASCII alphanumerics, hyphens, underscores, or periods'

describe('channel and group name validation', () => {
  it.each([
    ['¯\\_(ツ)_/¯', 'Channel', requireValidChannelName],
    ['chat'.repeat(100), 'Channel', requireValidChannelName],
    ['¯\\_(ツ)_/¯', 'Group', requireValidGroupName],
    ['chat'.repeat(100), 'Group', requireValidGroupName],
  ] as const)(
    'refuses %j as a %s name (test_channel_and_group_name_validation)',
    (name, kind, check) => {
      expect(() => check(name)).toThrow(TypeError)
      expect(() => check(name)).toThrow(`${kind} ${RULE}, not `)
    },
  )

  it('accepts "chat" as a channel and as a group name', () => {
    expect(requireValidChannelName('chat')).toBe('chat')
    expect(requireValidGroupName('chat')).toBe('chat')
  })

  it('gives the length error for a 101-character group name (test_group_name_length_error_message)', () => {
    const name = 'a'.repeat(101)
    expect(() => requireValidGroupName(name)).toThrow(
      new TypeError(`Group ${RULE}, not ${JSON.stringify(name)}.`),
    )
  })

  it('gives the length error for a 101-character channel name (test_channel_name_length_error_message)', () => {
    const name = 'a'.repeat(101)
    expect(() => requireValidChannelName(name)).toThrow(
      new TypeError(`Channel ${RULE}, not ${JSON.stringify(name)}.`),
    )
  })

  it('accepts 99 characters and refuses 100 (the limit is strictly below 100)', () => {
    expect(requireValidChannelName('a'.repeat(99))).toHaveLength(99)
    expect(requireValidGroupName('a'.repeat(99))).toHaveLength(99)
    expect(() => requireValidChannelName('a'.repeat(100))).toThrow(TypeError)
    expect(() => requireValidGroupName('a'.repeat(100))).toThrow(TypeError)
  })

  it.each<[name: string, channel: boolean, group: boolean]>([
    ['a!b', true, false],
    ['a!', true, false],
    ['specific..inmemory!AbCdEfGhIjKl', true, false],
    ['a-b_c.d', true, true],
    ['!a', false, false],
    ['a!b!c', false, false],
    ['a b', false, false],
    ['', false, false],
    ['a?b', false, false],
    ['chat\n', false, false],
    ['chat٣', false, false],
    ['abc!é', false, false],
  ])('%j: channel %s, group %s', (name, channel, group) => {
    expect(isValid(() => requireValidChannelName(name))).toBe(channel)
    expect(isValid(() => requireValidGroupName(name))).toBe(group)
  })

  it.each<[label: string, value: unknown, quoted: string]>([
    ['a number', 42, '42'],
    ['null', null, 'null'],
    ['undefined', undefined, 'undefined'],
    ['an object', { name: 'chat' }, '{"name":"chat"}'],
    ['a symbol', Symbol('chat'), 'Symbol(chat)'],
    ['a bigint', 10n, '10'],
  ])('refuses %s, quoting it in the message', (_label, value, quoted) => {
    expect(() => requireValidChannelName(value)).toThrow(
      new TypeError(`Channel ${RULE}, not ${quoted}.`),
    )
    expect(() => requireValidGroupName(value)).toThrow(
      new TypeError(`Group ${RULE}, not ${quoted}.`),
    )
  })
})

describe('nonLocalName', () => {
  it.each([
    ['specific.abc!def', 'specific.abc!'],
    ['specific.abc!', 'specific.abc!'],
    ['test-channel', 'test-channel'],
  ])('%j -> %j', (name, expected) => {
    expect(nonLocalName(name)).toBe(expected)
  })
})

function isValid(check: () => string): boolean {
  try {
    check()
    return true
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError)
    return false
  }
}

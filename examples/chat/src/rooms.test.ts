import { requireValidGroupName } from '@node-channels/core'
import { describe, expect, it } from 'vitest'
import { roomGroupName, roomNameSchema } from './rooms.js'

describe('roomNameSchema', () => {
  it.each([['lobby'], ['Room_2-b'], ['café'], ['東京'], ['x'.repeat(40)], ['ab']])(
    'takes %j',
    (room) => {
      expect(roomNameSchema.parse(room)).toBe(room)
    },
  )

  it('normalises to NFC', () => {
    expect(roomNameSchema.parse('cafe\u0301')).toBe('café')
  })

  it.each([
    ['', 'A room name cannot be empty.'],
    ['x'.repeat(41), 'A room name can be at most 40 characters long.'],
    ['a.b', 'A room name can hold only letters, digits, "_" and "-".'],
    ['..', 'A room name can hold only letters, digits, "_" and "-".'],
    ['a b', 'A room name can hold only letters, digits, "_" and "-".'],
    ['<b>', 'A room name can hold only letters, digits, "_" and "-".'],
    ['a\nb', 'A room name can hold only letters, digits, "_" and "-".'],
    ['🙂', 'A room name can hold only letters, digits, "_" and "-".'],
  ])('refuses %j: %s', (room, message) => {
    const result = roomNameSchema.safeParse(room)
    expect(result.success).toBe(false)
    expect(result.error?.issues.map((issue) => issue.message)).toEqual([message])
  })
})

describe('roomGroupName', () => {
  it('keeps the tutorial name for ASCII rooms', () => {
    expect(roomGroupName('lobby')).toBe('chat_lobby')
    expect(roomGroupName('A-1_b')).toBe('chat_A-1_b')
  })

  it('maps every valid room to a valid, distinct group name', () => {
    const rooms = ['café', 'cafe', '東京', 'x'.repeat(40), '東'.repeat(40), 'ünïcödé_-', 'Café']
    const groups = rooms.map(roomGroupName)
    for (const group of groups) expect(requireValidGroupName(group)).toBe(group)
    expect(new Set(groups).size).toBe(rooms.length)
    expect(roomGroupName('東京')).toBe('chat_u.EwAWslmb9-WXjK545SjGfymqR-qiSQ_-3XKd8zSieQw')
  })
})

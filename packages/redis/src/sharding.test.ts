import { describe, expect, it } from 'vitest'
import { consistentHash } from './sharding.js'

describe('consistentHash', () => {
  // channels_redis tests/test_utils.py::test_consistent_hash_result
  it.each([
    ['key_one', 1, 0],
    ['key_two', 1, 0],
    ['key_one', 2, 1],
    ['key_two', 2, 0],
    ['key_one', 10, 6],
    ['key_two', 10, 4],
  ])('hashes %j onto a ring of %i like channels_redis (%i)', (value, ringSize, expected) => {
    expect(consistentHash(value, ringSize)).toBe(expected)
  })

  // Extra vectors computed with channels_redis' _consistent_hash for ring sizes 2, 3, 5, 7, 10.
  it.each([
    ['chat', [0, 0, 0, 1, 1]],
    ['specific.702025871b634e9099f724346afc8b52!', [1, 1, 2, 3, 5]],
    ['g-ü-1', [1, 1, 3, 4, 6]],
    ['asgi__group__chat', [1, 2, 4, 6, 9]],
  ])('hashes %j onto rings of 2, 3, 5, 7 and 10 like channels_redis', (value, expected) => {
    expect([2, 3, 5, 7, 10].map((size) => consistentHash(value, size))).toEqual(expected)
  })

  it('refuses a ring size that is not a positive integer', () => {
    expect(() => consistentHash('chat', 0)).toThrow(
      new RangeError('The ring size must be a positive integer, not 0.'),
    )
  })
})

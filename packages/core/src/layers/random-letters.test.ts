import { describe, expect, it } from 'vitest'
import { randomLetters } from './random-letters.js'

describe('randomLetters', () => {
  it('gives as many ASCII letters as asked, different each time, across pool refills', () => {
    const seen = new Set<string>()
    // 1,000 names of 12 letters draw the 4,092-byte pool about three times over.
    for (let index = 0; index < 1_000; index++) {
      const letters = randomLetters(12)
      expect(letters).toMatch(/^[a-zA-Z]{12}$/)
      seen.add(letters)
    }
    expect(seen.size).toBe(1_000)
    expect(randomLetters(0)).toBe('')
  })

  it('uses every letter', () => {
    const letters = new Set(randomLetters(4_000))
    expect(letters.size).toBe(52)
  })

  it('refuses a count that is not a whole number from 0 to the pool size', () => {
    for (const count of [-1, 1.5, Number.NaN, 4_093]) {
      expect(() => randomLetters(count)).toThrow(
        new RangeError(`randomLetters() takes 0 to 4092 letters, not ${count}.`),
      )
    }
  })
})

import { randomFillSync } from 'node:crypto'

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'

/** Random bytes drawn in bulk: one `randomFillSync` serves 341 channel names, not one each. */
const randomPool = Buffer.alloc(4092)
let randomUsed = randomPool.length

/**
 * `count` random ASCII letters, as a flat string (no tree of concatenations kept per name),
 * from a cryptographic source: twelve of them (about 68 bits) make the random part of a
 * channel name, as in Channels' `InMemoryChannelLayer.new_channel`.
 */
export function randomLetters(count: number): string {
  if (!Number.isInteger(count) || count < 0 || count > randomPool.length) {
    throw new RangeError(`randomLetters() takes 0 to ${randomPool.length} letters, not ${count}.`)
  }
  if (randomUsed + count > randomPool.length) {
    randomFillSync(randomPool)
    randomUsed = 0
  }
  const codes = new Array<number>(count)
  for (let i = 0; i < count; i++) {
    codes[i] = LETTERS.charCodeAt((randomPool[randomUsed + i] ?? 0) % LETTERS.length)
  }
  randomUsed += count
  return String.fromCharCode(...codes)
}

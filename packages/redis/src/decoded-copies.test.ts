import { describe, expect, it } from 'vitest'
import { decodedCopies } from './decoded-copies.js'
import { decodeMessage, encodeMessage } from './msgpack-codec.js'

/** A message as the layers decode it. */
const decoded = (message: unknown) =>
  decodeMessage(encodeMessage(message)) as Record<string, unknown> & { type: string }

describe('decodedCopies', () => {
  it('hands the decoded object to the first receiver and an equal copy to each further one', () => {
    const message = decoded({ type: 'chat.message', text: 'hi', n: 2n ** 60n })
    const copyFor = decodedCopies(message)
    const [first, second, third] = [copyFor(0), copyFor(1), copyFor(2)]
    expect(first).toBe(message)
    expect(second).toEqual(message)
    expect(third).toEqual(message)
    expect(second).not.toBe(third)
  })

  it('copies nested objects, arrays and bytes, so a receiver changing its copy changes no other', () => {
    const message = decoded({
      type: 'file.chunk',
      meta: { tags: ['a', { deep: [1] }], empty: {} },
      data: new Uint8Array([1, 2, 3]),
      list: [[new Uint8Array([4])]],
    })
    const copyFor = decodedCopies(message)
    const first = copyFor(0) as typeof message & {
      meta: { tags: [string, { deep: number[] }] }
      data: Uint8Array
      list: Uint8Array[][]
    }
    const second = copyFor(1) as typeof first
    expect(second).toEqual(first)
    first.meta.tags[1].deep.push(2)
    first.data[0] = 9
    ;(first.list[0] as Uint8Array[])[0] = new Uint8Array([7])
    expect(second.meta.tags[1].deep).toEqual([1])
    expect(second.data).toEqual(new Uint8Array([1, 2, 3]))
    expect(second.list).toEqual([[new Uint8Array([4])]])
    expect(second.data).toBeInstanceOf(Uint8Array)
  })
})

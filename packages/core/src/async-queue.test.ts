import { describe, expect, it } from 'vitest'
import { AsyncQueue } from './async-queue.js'

describe('AsyncQueue', () => {
  it('returns queued items first in, first out', async () => {
    const queue = new AsyncQueue<number>()
    queue.put(1)
    queue.put(2)
    expect(queue.size).toBe(2)
    expect(await queue.get()).toBe(1)
    expect(await queue.get()).toBe(2)
    expect(queue.size).toBe(0)
  })

  it('hands an item to the oldest waiting get()', async () => {
    const queue = new AsyncQueue<string>()
    const first = queue.get()
    const second = queue.get()
    queue.put('a')
    queue.put('b')
    expect(await first).toBe('a')
    expect(await second).toBe('b')
    expect(queue.size).toBe(0)
  })

  it('rejects a waiting get() with the abort reason and gives its item to the next', async () => {
    const queue = new AsyncQueue<string>()
    const controller = new AbortController()
    const aborted = queue.get(controller.signal)
    const reason = new Error('stop')
    controller.abort(reason)
    await expect(aborted).rejects.toBe(reason)
    queue.put('kept')
    expect(queue.size).toBe(1)
    expect(await queue.get()).toBe('kept')
  })

  it('takes nothing when the signal is already aborted', async () => {
    const queue = new AsyncQueue<string>()
    queue.put('kept')
    const reason = new Error('cancelled')
    await expect(queue.get(AbortSignal.abort(reason))).rejects.toBe(reason)
    expect(queue.size).toBe(1)
  })
})

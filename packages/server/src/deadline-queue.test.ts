import { describe, expect, it } from 'vitest'
import { type Deadline, DeadlineQueue } from './deadline-queue.js'

class Entry implements Deadline {
  deadlineSlot = -1
  deadlineAt = 0
  readonly name: string
  readonly calls: number[] = []
  onReached: (now: number) => void = () => {}

  constructor(name: string) {
    this.name = name
  }

  deadlineReached(now: number): void {
    this.calls.push(now)
    this.onReached(now)
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('DeadlineQueue', () => {
  it('keeps due times in whole milliseconds, rounded up, and still calls back no earlier', async () => {
    const queue = new DeadlineQueue()
    const entry = new Entry('fraction')
    const due = performance.now() + 5.25
    queue.schedule(entry, due)
    expect(entry.deadlineAt).toBe(Math.ceil(due))
    await sleep(20)
    expect(entry.calls).toHaveLength(1)
    expect(entry.calls[0]).toBeGreaterThanOrEqual(due)
  })

  it('calls entries back in due order, not before their time', async () => {
    const queue = new DeadlineQueue()
    const order: string[] = []
    const start = performance.now()
    const entries = [30, 10, 50, 20].map((delay) => {
      const entry = new Entry(`${delay}`)
      entry.onReached = (now) => {
        order.push(entry.name)
        expect(now - start).toBeGreaterThanOrEqual(delay)
      }
      queue.schedule(entry, start + delay)
      return entry
    })
    expect(queue.size).toBe(4)
    await sleep(80)
    expect(order).toEqual(['10', '20', '30', '50'])
    expect(queue.size).toBe(0)
    for (const entry of entries) expect(entry.deadlineSlot).toBe(-1)
  })

  it('moves a queued entry when it is scheduled again, earlier or later', async () => {
    const queue = new DeadlineQueue()
    const start = performance.now()
    const early = new Entry('early')
    const late = new Entry('late')
    queue.schedule(early, start + 10)
    queue.schedule(late, start + 60)
    queue.schedule(early, start + 40)
    queue.schedule(late, start + 5)
    expect(queue.size).toBe(2)
    await sleep(25)
    expect(late.calls.length).toBe(1)
    expect(early.calls.length).toBe(0)
    await sleep(35)
    expect(early.calls.length).toBe(1)
    expect(early.calls[0] ?? 0).toBeGreaterThanOrEqual(start + 40)
  })

  it('never calls back a cancelled entry, and keeps the others in order', async () => {
    const queue = new DeadlineQueue()
    const start = performance.now()
    const entries = Array.from({ length: 50 }, (_, index) => new Entry(`${index}`))
    const order: number[] = []
    for (const [index, entry] of entries.entries()) {
      entry.onReached = () => order.push(index)
      // Due times out of order: 0, 37, 24, 11, ... (all distinct, 1 ms apart).
      queue.schedule(entry, start + 5 + ((index * 37) % 50))
    }
    for (const [index, entry] of entries.entries()) if (index % 3 === 0) queue.cancel(entry)
    queue.cancel(entries[0] as Entry) // already cancelled: nothing happens
    expect(queue.size).toBe(33)
    await sleep(80)
    const expected = entries
      .map((_, index) => index)
      .filter((index) => index % 3 !== 0)
      .sort((a, b) => ((a * 37) % 50) - ((b * 37) % 50))
    expect(order).toEqual(expected)
  })

  it('lets an entry schedule itself again from its callback', async () => {
    const queue = new DeadlineQueue()
    const entry = new Entry('repeat')
    entry.onReached = (now) => {
      if (entry.calls.length < 3) queue.schedule(entry, now + 5)
    }
    queue.schedule(entry, performance.now() + 5)
    await sleep(60)
    expect(entry.calls.length).toBe(3)
    expect(queue.size).toBe(0)
  })
})

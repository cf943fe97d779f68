import { describe, expect, it } from 'vitest'
import { Inbox, NothingArrivedError } from './inbox.js'

describe('Inbox', () => {
  it('hands out items in arrival order, those already there and those still to come', async () => {
    const inbox = new Inbox<number>()
    inbox.push(1)
    inbox.push(2)
    expect(inbox.size).toBe(2)
    expect(await inbox.next()).toBe(1)
    expect(await inbox.next()).toBe(2)
    const third = inbox.next()
    const fourth = inbox.next()
    inbox.push(3)
    inbox.push(4)
    expect(await third).toBe(3)
    expect(await fourth).toBe(4)
    expect(inbox.size).toBe(0)
  })

  it('fails with NothingArrivedError, naming what it waited for, when nothing comes in time', async () => {
    const inbox = new Inbox<string>('frame')
    await expect(inbox.next(20)).rejects.toThrow(
      new NothingArrivedError('No frame arrived within 20 ms.'),
    )
    // A late item is kept for the next read, not lost with the timed-out one.
    inbox.push('late')
    expect(await inbox.next()).toBe('late')
  })
})

import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { ClientLimits } from './client-limits.js'

type Broken = [code: number, reason: string, problem: string]

function limitsWith(options: ConstructorParameters<typeof ClientLimits>[1]) {
  const broken: Broken[] = []
  const limits = new ClientLimits(new PassThrough(), options, (...args) => broken.push(args))
  return { limits, broken }
}

describe('ClientLimits', () => {
  it('admits a burst of messages, then drops every later one and breaks the limit once', () => {
    const { limits, broken } = limitsWith({
      websocketMessageTimeoutMs: null,
      websocketRateLimit: { messagesPerSecond: 1, burst: 3 },
    })
    const now = performance.now()
    expect([1, 2, 3].map(() => limits.admit(now))).toEqual([true, true, true])
    expect(limits.admit(now)).toBe(false)
    // Refilled a second later, yet still dropped: a flooding client stays closed.
    expect(limits.admit(now + 5000)).toBe(false)
    expect(broken).toEqual([
      [1008, 'Message rate limit exceeded', 'sent messages faster than websocketRateLimit allows'],
    ])
  })

  it('admits every message without a rate limit', () => {
    const { limits, broken } = limitsWith({
      websocketMessageTimeoutMs: null,
      websocketRateLimit: null,
    })
    const now = performance.now()
    for (let i = 0; i < 1000; i++) expect(limits.admit(now)).toBe(true)
    expect(broken).toEqual([])
  })

  it('breaks the message timeout when a frame stays partly received', async () => {
    const { limits, broken } = limitsWith({
      websocketMessageTimeoutMs: 20,
      websocketRateLimit: null,
    })
    // A masked text frame announcing 10 bytes, of which 2 arrive.
    limits.push(Buffer.from([0x81, 0x8a, 0, 0, 0, 0, 0x61, 0x62]), performance.now())
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect(broken).toEqual([
      [1008, 'Message not completed in time', 'left a message unfinished for 20 ms'],
    ])
    limits.stop()
  })

  it('breaks nothing once stopped', async () => {
    const { limits, broken } = limitsWith({
      websocketMessageTimeoutMs: 20,
      websocketRateLimit: null,
    })
    limits.push(Buffer.from([0x81, 0x8a, 0, 0, 0, 0, 0x61]), performance.now())
    limits.stop()
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect(broken).toEqual([])
  })
})

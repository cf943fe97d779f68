import { describe, expect, it } from 'vitest'
import { ConnectionLimits, connectionLimitsOf, describeRefusal } from './connection-limits.js'
import { resolveOptions } from './options.js'
import type { ServerContext } from './server-context.js'

describe('ConnectionLimits', () => {
  it('answers 429 over the per-client cap, and frees the place on release', () => {
    const limits = new ConnectionLimits(2, null)
    const first = limits.acquire('10.0.0.1')
    const second = limits.acquire('10.0.0.1')
    expect(limits.acquire('10.0.0.1')).toEqual({ admitted: false, status: 429 })
    expect(limits.acquire('10.0.0.2').admitted).toBe(true)
    expect(limits.countOf('10.0.0.1')).toBe(2)
    if (!first.admitted || !second.admitted) throw new Error('expected admissions')
    first.release()
    first.release() // a second release changes nothing
    expect(limits.countOf('10.0.0.1')).toBe(1)
    expect(limits.acquire('10.0.0.1').admitted).toBe(true)
    expect(limits.size).toBe(3)
  })

  it('answers 503 over the total cap before looking at the client', () => {
    const limits = new ConnectionLimits(1, 2)
    expect(limits.acquire('a').admitted).toBe(true)
    expect(limits.acquire('b').admitted).toBe(true)
    expect(limits.acquire('c')).toEqual({ admitted: false, status: 503 })
    expect(limits.acquire('a')).toEqual({ admitted: false, status: 503 })
  })

  it('forgets a client whose connections all ended', () => {
    const limits = new ConnectionLimits(null, null)
    const admissions = Array.from({ length: 1000 }, () => limits.acquire('x'))
    expect(limits.countOf('x')).toBe(1000)
    for (const admission of admissions) if (admission.admitted) admission.release()
    expect(limits.countOf('x')).toBe(0)
    expect(limits.size).toBe(0)
  })

  it('counts with take() and release() as with acquire(), sharing the same caps', () => {
    const limits = new ConnectionLimits(2, 3)
    expect(limits.take('a')).toBeNull()
    expect(limits.acquire('a').admitted).toBe(true)
    expect(limits.take('a')).toBe(429)
    expect(limits.take('b')).toBeNull()
    expect(limits.take('c')).toBe(503)
    limits.release('a')
    expect(limits.countOf('a')).toBe(1)
    expect(limits.take('c')).toBeNull()
    limits.release('b')
    limits.release('c')
    expect(limits.countOf('b')).toBe(0)
    expect(limits.size).toBe(1)
  })
})

describe('connectionLimitsOf', () => {
  it('gives every transport of one server the same counts, made from its options', () => {
    const server = { options: resolveOptions({ maxConnectionsPerClient: 1 }) } as ServerContext
    const other = { options: resolveOptions() } as ServerContext
    const limits = connectionLimitsOf(server)
    expect(connectionLimitsOf(server)).toBe(limits)
    expect(connectionLimitsOf(other)).not.toBe(limits)
    expect(limits.acquire('a').admitted).toBe(true)
    expect(connectionLimitsOf(server).acquire('a')).toEqual({ admitted: false, status: 429 })
    expect(connectionLimitsOf(other).acquire('a').admitted).toBe(true)
  })
})

describe('describeRefusal', () => {
  it('names the cap and the option that refused', () => {
    const options = { maxConnectionsPerClient: 3, maxConnections: 10 }
    expect(describeRefusal(429, '10.0.0.1', options)).toBe(
      '"10.0.0.1" has 3 WebSockets open (maxConnectionsPerClient)',
    )
    expect(describeRefusal(503, '10.0.0.1', options)).toBe(
      '10 WebSockets are open (maxConnections)',
    )
  })
})

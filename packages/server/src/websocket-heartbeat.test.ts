import { describe, expect, it } from 'vitest'
import {
  checkHeartbeat,
  type HeartbeatPeer,
  PEER_DEAD,
  type Pingable,
} from './websocket-heartbeat.js'

class FakePeer implements HeartbeatPeer, Pingable {
  heardAt = 0
  pingSentAt = -1
  isPaused = false
  /** When each ping went out. */
  pings: number[] = []
  now = 0
  ping(): void {
    this.pings.push(this.now)
  }
}

/**
 * Runs the checks as the connection does, on a simulated clock, until the peer is declared
 * dead or `untilMs` passes; `onPing` may answer. Returns when the peer died, or null.
 */
function drive(
  peer: FakePeer,
  intervalMs: number,
  timeoutMs: number,
  untilMs: number,
  onPing: (at: number) => void = () => {},
): number | null {
  let next = intervalMs
  while (next <= untilMs) {
    peer.now = next
    const pings = peer.pings.length
    const wait = checkHeartbeat(peer, peer, next, intervalMs, timeoutMs)
    if (wait === PEER_DEAD) return next
    expect(wait).toBeGreaterThanOrEqual(1)
    if (peer.pings.length > pings) onPing(next)
    next += wait
  }
  return null
}

describe('checkHeartbeat', () => {
  it('pings an idle peer and declares it dead when the ping goes unanswered', () => {
    const peer = new FakePeer()
    const diedAt = drive(peer, 20, 30, 1000)
    expect(peer.pings).toEqual([20])
    expect(diedAt).toBe(50)
  })

  it('keeps a peer that answers its pings, pinging it again after each idle interval', () => {
    const peer = new FakePeer()
    const diedAt = drive(peer, 10, 20, 200, (at) => {
      peer.heardAt = at + 2 // the pong arrives 2 ms later
    })
    expect(diedAt).toBeNull()
    expect(peer.pings.length).toBeGreaterThanOrEqual(4)
    for (const [index, at] of peer.pings.entries()) {
      if (index > 0) expect(at - (peer.pings[index - 1] ?? 0)).toBeGreaterThanOrEqual(12)
    }
  })

  it('counts any traffic as an answer, and waits a full interval after the last of it', () => {
    const peer = new FakePeer()
    peer.heardAt = 15
    expect(checkHeartbeat(peer, peer, 20, 20, 30)).toBe(15)
    expect(peer.pings).toEqual([])
    expect(checkHeartbeat(peer, peer, 35, 20, 30)).toBe(30)
    expect(peer.pingSentAt).toBe(35)
    peer.heardAt = 40
    expect(checkHeartbeat(peer, peer, 65, 20, 30)).toBe(30)
    expect(peer.pingSentAt).toBe(65)
    expect(peer.pings.length).toBe(2)
  })

  it('notes when a ping went out in whole milliseconds, as the connection notes hearing', () => {
    const peer = new FakePeer()
    expect(checkHeartbeat(peer, peer, 20.75, 20, 30)).toBe(30)
    expect(peer.pingSentAt).toBe(20)
    peer.heardAt = 20 // bytes read in the millisecond the ping went out answer it
    expect(checkHeartbeat(peer, peer, 30.5, 20, 30)).toBe(9.5)
    expect(peer.pingSentAt).toBe(-1)
  })

  it('sends no ping while the peer is paused', () => {
    const peer = new FakePeer()
    peer.isPaused = true
    expect(drive(peer, 5, 5, 400)).toBeNull()
    expect(peer.pings).toEqual([])
  })
})

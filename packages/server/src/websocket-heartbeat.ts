/** A WebSocket connection as its heartbeat sees it. */
export interface HeartbeatPeer {
  /** When the client was last heard from (`performance.now()` in whole ms): any bytes count. */
  readonly heardAt: number
  /**
   * When the unanswered ping went out (`performance.now()` in whole ms, as `heardAt`: bytes
   * heard in the millisecond the ping went out count as its answer), or -1 when none is.
   */
  pingSentAt: number
}

/** The part of a WebSocket link the heartbeat needs. */
export interface Pingable {
  ping(): void
  /** True while the server does not read the socket (the application is behind on its input). */
  readonly isPaused: boolean
}

/** What `checkHeartbeat` returns for a peer that did not answer its ping in time. */
export const PEER_DEAD = -1

/**
 * One heartbeat check of a peer at `now`, for dead-peer detection: after `intervalMs` without
 * hearing from the client (frames, pongs, or part of a message), send a ping; if nothing
 * arrives within `timeoutMs`, the peer is dead (the server drops the socket and the
 * application sees 1006). While the socket is paused frames cannot be read, so the client is
 * given the benefit of the doubt and no ping is sent. Returns how long to wait before the next
 * check (at least 1 ms), or `PEER_DEAD`.
 * Mirrors Daphne's `ping_interval` / `ping_timeout` (autobahn's auto-ping).
 */
export function checkHeartbeat(
  peer: HeartbeatPeer,
  socket: Pingable,
  now: number,
  intervalMs: number,
  timeoutMs: number,
): number {
  const pingSentAt = peer.pingSentAt
  if (pingSentAt >= 0) {
    if (peer.heardAt >= pingSentAt) {
      peer.pingSentAt = -1 // answered (or other traffic arrived): alive
    } else if (now - pingSentAt >= timeoutMs) {
      return PEER_DEAD
    } else {
      return Math.max(1, timeoutMs - (now - pingSentAt))
    }
  }
  if (socket.isPaused) return Math.max(1, intervalMs)
  const idle = now - peer.heardAt
  if (idle < intervalMs) return Math.max(1, intervalMs - idle)
  peer.pingSentAt = Math.floor(now)
  socket.ping()
  return Math.max(1, timeoutMs)
}

import { performance } from 'node:perf_hooks'
import { type Connection, openConnection } from './connection.js'
import type { Route, Target } from './protocols.js'
import type { Tally } from './tally.js'

/** How to open a batch of connections. */
export type OpenManyOptions = {
  target: Target
  route: Route
  count: number
  concurrency: number
  connectTimeoutMs: number
  /** Stop starting new handshakes after this long (the batch is bounded in time as well as count). */
  timeLimitMs: number
  /** Where failures are counted; handshake latencies (µs) go to its histogram when it is measuring. */
  tally: Tally
}

/**
 * Opens up to `count` connections with at most `concurrency` handshakes outstanding.
 * Resolves with the connections that opened; each failure is counted on the tally.
 */
export async function openMany(options: OpenManyOptions): Promise<Connection[]> {
  const { target, route, count, concurrency, connectTimeoutMs, timeLimitMs, tally } = options
  const opened: Connection[] = []
  const deadline = performance.now() + timeLimitMs
  let next = 0
  const lane = async (): Promise<void> => {
    while (next < count && performance.now() < deadline) {
      next++
      const startedMs = performance.now()
      try {
        const connection = await openConnection(
          target.port,
          target.protocol,
          route,
          connectTimeoutMs,
        )
        if (tally.measuring) {
          tally.latency.record((performance.now() - startedMs) * 1000)
          tally.messages++
        }
        opened.push(connection)
      } catch (error) {
        tally.error(error instanceof Error ? error.message : String(error))
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, lane))
  if (next < count)
    tally.error(
      `Only ${next} of ${count} connections were attempted within ${timeLimitMs} ms.`,
      count - next,
    )
  return opened
}

/** Closes every connection (each close is bounded by the connection itself). */
export async function closeAll(connections: Connection[]): Promise<void> {
  await Promise.all(connections.map((connection) => connection.close()))
}

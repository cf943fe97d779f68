import type { ConnectJob, WorkerReport } from '../jobs.js'
import { closeAll, openMany } from '../pool.js'
import { Tally } from '../tally.js'
import type { Control } from './control.js'

/**
 * Connection setup rate: the window spans opening every connection (each handshake's latency
 * is recorded). With `hold`, the connections then stay open and idle until `release`, so the
 * coordinator can read the server's resident memory.
 */
export async function runConnect(job: ConnectJob, control: Control): Promise<WorkerReport> {
  const tally = new Tally()
  control.signal({ type: 'prepared' })
  await control.waitFor('go', job.connectTimeoutMs * 10)
  tally.start()
  control.signal({ type: 'window-start' })
  const connections = await openMany({
    target: job.target,
    route: 'echo',
    count: job.connections,
    concurrency: job.concurrency,
    connectTimeoutMs: job.connectTimeoutMs,
    timeLimitMs: job.timeLimitMs,
    tally,
  })
  tally.stop()
  control.signal({ type: 'window-end' })
  let releasing = false
  for (const connection of connections) {
    connection.onEnd = (reason, error) => {
      if (error && !releasing) tally.error(`An idle connection ended: ${reason}.`)
    }
  }
  if (job.hold) {
    control.signal({ type: 'holding' })
    await control.waitFor('release', job.timeLimitMs * 4)
  }
  releasing = true
  await closeAll(connections)
  return tally.report(connections.length)
}

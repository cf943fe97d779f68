import { performance } from 'node:perf_hooks'
import type { Connection } from '../connection.js'
import { clientFrame } from '../frames.js'
import type { EchoJob, WorkerReport } from '../jobs.js'
import { closeAll, openMany } from '../pool.js'
import { appMessage, padPayload } from '../protocols.js'
import { Tally } from '../tally.js'
import { type Control, delay, until } from './control.js'

const OPEN_CONCURRENCY = 50
/** The window is stretched (up to this many times its length) until it has measured enough. */
const WINDOW_STRETCH = 4
const MIN_SAMPLES = 100

/**
 * Echo round-trips. Every client keeps `inFlight` copies of one pre-built frame outstanding
 * and sends the next as each echo arrives; a per-connection ring of send times gives the
 * round-trip latency (echoes on one connection come back in order).
 */
export async function runEcho(job: EchoJob, control: Control): Promise<WorkerReport> {
  const tally = new Tally()
  const { timing } = job
  const connections = await openMany({
    target: job.target,
    route: 'echo',
    count: job.clients,
    concurrency: OPEN_CONCURRENCY,
    connectTimeoutMs: timing.connectTimeoutMs,
    timeLimitMs: timing.connectTimeoutMs * 4,
    tally,
  })
  const frame = clientFrame(
    appMessage(job.target.protocol, 'echo', padPayload('', job.payloadBytes)),
  )
  const firstBurst = Buffer.concat(Array.from({ length: job.inFlight }, () => frame))
  const state = { stopping: false, outstanding: 0, received: 0 }
  const clients = connections.map(
    (connection) => new EchoClient(connection, job, frame, tally, state),
  )
  control.signal({ type: 'prepared' })
  await control.waitFor('go', timing.connectTimeoutMs * 10)
  const startMs = performance.now()
  for (const client of clients) client.start(firstBurst, startMs)
  await delay(timing.warmupMs)
  // Warm-up lasts at least until every client has had its first round of echoes (bounded).
  const firstRound = clients.length * job.inFlight
  await until(() => state.received >= firstRound, timing.warmupMs * WINDOW_STRETCH * 4)
  tally.start()
  control.signal({ type: 'window-start' })
  await delay(timing.durationMs)
  // A server too slow to answer within the window gets a longer one (bounded), not a zero.
  await until(() => tally.messages >= MIN_SAMPLES, timing.durationMs * WINDOW_STRETCH)
  tally.stop()
  control.signal({ type: 'window-end' })
  state.stopping = true
  state.outstanding = clients.filter((client) => !client.connection.ended).length * job.inFlight
  const drained = await until(() => state.outstanding <= 0, timing.drainMs)
  if (!drained) {
    tally.error(
      `${state.outstanding} echoes were still missing ${timing.drainMs} ms after the window.`,
      state.outstanding,
    )
  }
  await closeAll(connections)
  return tally.report(connections.length)
}

/** One echo client: a ring of send times, and the next frame sent as each echo arrives. */
class EchoClient {
  readonly connection: Connection
  readonly #sentAtMs: Float64Array
  #head = 0
  #tail = 0

  constructor(
    connection: Connection,
    job: EchoJob,
    frame: Buffer,
    tally: Tally,
    state: { stopping: boolean; outstanding: number; received: number },
  ) {
    this.connection = connection
    const inFlight = job.inFlight
    const sentAtMs = new Float64Array(inFlight)
    this.#sentAtMs = sentAtMs
    connection.onMessage = (_buffer, start, end, nowMs) => {
      const sentMs = sentAtMs[this.#head] ?? nowMs
      this.#head = this.#head + 1 === inFlight ? 0 : this.#head + 1
      state.received++
      if (end - start !== job.payloadBytes)
        tally.error(`An echo had ${end - start} bytes instead of ${job.payloadBytes}.`)
      if (tally.measuring) {
        tally.messages++
        tally.latency.record((nowMs - sentMs) * 1000)
      }
      if (state.stopping) {
        state.outstanding--
        return
      }
      connection.write(frame)
      sentAtMs[this.#tail] = nowMs
      this.#tail = this.#tail + 1 === inFlight ? 0 : this.#tail + 1
      if (tally.measuring) tally.sent++
    }
    connection.onEnd = (reason, error) => {
      if (error && !state.stopping) tally.error(`An echo connection ended: ${reason}.`)
    }
  }

  /** Sends the first `inFlight` frames at once. */
  start(firstBurst: Buffer, nowMs: number): void {
    this.#sentAtMs.fill(nowMs)
    this.connection.write(firstBurst)
  }
}

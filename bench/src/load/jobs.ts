import type { HistogramSnapshot } from './histogram.js'
import type { Target } from './protocols.js'

/** The measured part of a job: traffic runs `warmupMs`, then counts for `durationMs`, then drains. */
export type Timing = {
  warmupMs: number
  durationMs: number
  drainMs: number
  connectTimeoutMs: number
}

/** Echo round-trips: `clients` connections, each keeping `inFlight` messages of `payloadBytes` outstanding. */
export type EchoJob = {
  kind: 'echo'
  target: Target
  clients: number
  inFlight: number
  payloadBytes: number
  timing: Timing
}

/**
 * Group broadcast: receivers join the group on each target, one sender (also a member) on
 * `sender` publishes `burstSize` messages per cycle (1 when paced) and starts the next cycle
 * once every receiver has every message of the current one, or after `deliveryTimeoutMs`.
 */
export type BroadcastJob = {
  kind: 'broadcast'
  sender: Target
  receivers: Array<{ target: Target; count: number }>
  burstSize: number
  payloadBytes: number
  deliveryTimeoutMs: number
  timing: Timing
}

/**
 * Connection setup: opens `connections` with `concurrency` handshakes outstanding; with `hold`,
 * keeps them open, idle, until the coordinator has measured the server and says `release`.
 */
export type ConnectJob = {
  kind: 'connect'
  target: Target
  connections: number
  concurrency: number
  hold: boolean
  timeLimitMs: number
  connectTimeoutMs: number
}

/** Anything a generator process can run. */
export type Job = EchoJob | BroadcastJob | ConnectJob

/** What one generator process measured (merged by the coordinator). */
export type WorkerReport = {
  /** Echo replies or broadcast deliveries received inside the window; connections opened for `connect`. */
  messages: number
  /** Messages (or broadcasts) sent inside the window. */
  sent: number
  /** The window's length as measured by this process. */
  windowMs: number
  /** Failures: refused or dropped connections, wrong replies, missing deliveries. */
  errors: number
  /** The first few failures, as sentences. */
  errorSamples: string[]
  /** Round-trip, fan-out or handshake latency in microseconds. */
  latency: HistogramSnapshot
  /** This process's CPU time (user + system) inside the window. */
  cpuMs: number
  /** Connections that were ready when traffic started (or, for `connect`, that opened). */
  connections: number
}

/** Coordinator to generator. */
export type ToWorker = { type: 'job'; job: Job } | { type: 'go' } | { type: 'release' }

/** Generator to coordinator. */
export type FromWorker =
  | { type: 'prepared' }
  | { type: 'window-start' }
  | { type: 'window-end' }
  | { type: 'holding' }
  | { type: 'report'; report: WorkerReport }
  | { type: 'failed'; message: string }

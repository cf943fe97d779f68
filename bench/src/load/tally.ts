import { performance } from 'node:perf_hooks'
import { Histogram } from './histogram.js'
import type { WorkerReport } from './jobs.js'

const MAX_SAMPLES = 5

/** Counts, latencies and failures of one generator process, with a measurement window. */
export class Tally {
  /** Latencies recorded inside the window, in microseconds. */
  readonly latency: Histogram = new Histogram()
  /** Messages received inside the window. */
  messages = 0
  /** Messages sent inside the window. */
  sent = 0
  /** Whether the window is open (set by `start`, cleared by `stop`). */
  measuring = false
  #errors = 0
  readonly #samples: string[] = []
  #startMs = 0
  #windowMs = 0
  #cpu: NodeJS.CpuUsage = process.cpuUsage()
  #cpuMs = 0

  /** Counts a failure (inside or outside the window) and keeps the first few messages. */
  error(message: string, count = 1): void {
    this.#errors += count
    if (this.#samples.length < MAX_SAMPLES) this.#samples.push(message)
  }

  /** Opens the window: forgets what warm-up measured and starts the CPU clock. */
  start(): void {
    this.latency.reset()
    this.messages = 0
    this.sent = 0
    this.measuring = true
    this.#startMs = performance.now()
    this.#cpu = process.cpuUsage()
  }

  /** Closes the window. */
  stop(): void {
    if (!this.measuring) return
    this.measuring = false
    this.#windowMs = performance.now() - this.#startMs
    const cpu = process.cpuUsage(this.#cpu)
    this.#cpuMs = (cpu.user + cpu.system) / 1000
  }

  /** The report sent to the coordinator. */
  report(connections: number): WorkerReport {
    return {
      messages: this.messages,
      sent: this.sent,
      windowMs: this.#windowMs,
      errors: this.#errors,
      errorSamples: [...this.#samples],
      latency: this.latency.snapshot(),
      cpuMs: this.#cpuMs,
      connections,
    }
  }
}

import type { MachineInfo } from '../report/machine.js'
import type { BenchConfig } from './config.js'

/** One server x scenario cell of the table. */
export type ScenarioResult = {
  server: string
  serverLabel: string
  family: string
  processes: number
  scenario: string
  scenarioTitle: string
  kind: 'echo' | 'broadcast' | 'connect'
  unit: string
  status: 'ok' | 'failed' | 'skipped'
  /** Why it failed or was skipped. */
  reason: string | null
  /** The median rate over the repeats (msg/s, deliveries/s or conn/s). */
  rate: number
  /** Every repeat's rate, in run order. */
  rates: number[]
  p50Us: number
  p99Us: number
  maxUs: number
  messages: number
  errors: number
  errorSamples: string[]
  windowMs: number
  /** Server CPU over the window, in cores (1 = one core busy all the time). */
  serverCpu: number
  /**
   * The part of `serverCpu` spent in the kernel (system calls: socket writes and reads on
   * loopback, epoll), in cores; the rest is user mode. Absent in results from before it was kept.
   */
  serverKernelCpu?: number
  /** The busiest generator process's CPU over the window, in cores. */
  generatorCpu: number
  /** CPU used by everything else on the machine during the window, in cores. */
  otherCpu: number
  connections: number
  /** Resident memory added per idle connection (connect-idle only): the median of the readings. */
  memoryPerConnectionKiB: number | null
  /** Each fresh process's reading of `memoryPerConnectionKiB`. Absent in results from before it was kept. */
  memoryReadingsKiB?: number[]
  /** V8 heap + external memory added per idle connection (connect-idle, Node servers only). */
  heapPerConnectionKiB: number | null
  /**
   * Growth of V8's young generation per idle connection (connect-idle, Node servers only; see
   * `youngGenerationBytes`), part of `memoryPerConnectionKiB`. Absent in results from before it was kept.
   */
  youngPerConnectionKiB?: number | null
  parameters: Record<string, number>
}

/** A whole run: what ran, where, and every cell. */
export type SuiteResult = {
  startedAt: string
  durationMs: number
  smoke: boolean
  config: BenchConfig
  machine: MachineInfo
  results: ScenarioResult[]
}

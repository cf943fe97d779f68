import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { pinnedCommand } from '../process/pinned.js'
import { Histogram } from './histogram.js'
import type { FromWorker, Job, ToWorker, WorkerReport } from './jobs.js'

const WORKER_PATH = fileURLToPath(new URL('./worker.js', import.meta.url))

/** How the load is generated. */
export type LoadOptions = {
  /** Generator processes to split clients across (broadcast always uses one, see `splitJob`). */
  processes: number
  /** The taskset CPU list for generator processes, or null to leave them unpinned. */
  cpus: string | null
  /** The whole job is killed after this long. */
  timeLimitMs: number
  /** Open files each generator process may need. */
  minOpenFiles: number
  onWindowStart?: () => void
  onWindowEnd?: () => void
  /** For a held `connect` job: runs while every connection is open and idle. */
  onHolding?: () => Promise<void>
}

/** The merged measurement of every generator process. */
export type LoadResult = {
  /** Messages (or deliveries, or connections) per second, summed over processes. */
  rate: number
  messages: number
  sent: number
  windowMs: number
  errors: number
  errorSamples: string[]
  latency: { p50Us: number; p99Us: number; maxUs: number; count: number }
  /** The busiest generator process's CPU time over its window (1 = a whole core). */
  generatorCpu: number
  /** All generator processes' CPU time over the window, in cores. */
  generatorCpuTotal: number
  connections: number
  processes: number
}

/** Splits a job over `processes` generator processes (broadcast needs one clock, so it stays whole). */
export function splitJob(job: Job, processes: number): Job[] {
  if (job.kind === 'broadcast' || processes <= 1) return [job]
  const total = job.kind === 'echo' ? job.clients : job.connections
  const parts = Math.min(processes, total)
  return Array.from({ length: parts }, (_, index) => {
    const share = Math.floor(total / parts) + (index < total % parts ? 1 : 0)
    return job.kind === 'echo' ? { ...job, clients: share } : { ...job, connections: share }
  })
}

/** Runs `job` in generator processes pinned away from the servers and merges their reports. */
export async function runLoad(job: Job, options: LoadOptions): Promise<LoadResult> {
  const parts = splitJob(job, options.processes)
  const workers = parts.map(() => startWorker(options))
  const reports: WorkerReport[] = []
  const failures: string[] = []
  const counts = { prepared: 0, windowStarts: 0, windowEnds: 0, holding: 0 }
  const broadcast = (message: ToWorker): void => {
    for (const worker of workers) if (worker.connected) worker.send(message)
  }
  const done = workers.map(
    (worker) =>
      new Promise<void>((resolve) => {
        let reported = false
        const timer = setTimeout(() => {
          failures.push(`A generator process was killed after ${options.timeLimitMs} ms.`)
          worker.kill('SIGKILL')
        }, options.timeLimitMs)
        worker.on('message', (message: FromWorker) => {
          if (message.type === 'prepared' && ++counts.prepared === workers.length)
            broadcast({ type: 'go' })
          else if (message.type === 'window-start' && ++counts.windowStarts === 1)
            options.onWindowStart?.()
          else if (message.type === 'window-end' && ++counts.windowEnds === workers.length)
            options.onWindowEnd?.()
          else if (message.type === 'holding' && ++counts.holding === workers.length) {
            const measure = options.onHolding?.() ?? Promise.resolve()
            measure.then(
              () => broadcast({ type: 'release' }),
              (error: unknown) => {
                failures.push(
                  `Measuring the held connections failed: ${error instanceof Error ? error.message : String(error)}`,
                )
                broadcast({ type: 'release' })
              },
            )
          } else if (message.type === 'report') {
            reported = true
            reports.push(message.report)
          } else if (message.type === 'failed') {
            reported = true
            failures.push(`A generator process failed: ${message.message}`)
          }
        })
        worker.on('exit', (code, signal) => {
          clearTimeout(timer)
          if (!reported)
            failures.push(`A generator process exited (${signal ?? code}) without a report.`)
          resolve()
        })
      }),
  )
  for (const [index, worker] of workers.entries())
    worker.send({ type: 'job', job: parts[index] as Job })
  await Promise.all(done)
  return mergeReports(reports, failures, workers.length)
}

/** Extra Node flags for generator processes (BENCH_GENERATOR_NODE_FLAGS, e.g. `--cpu-prof`). */
function extraNodeFlags(): string[] {
  return (process.env.BENCH_GENERATOR_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '')
}

function startWorker(options: LoadOptions): ChildProcess {
  const { command, args } = pinnedCommand(
    [process.execPath, ...extraNodeFlags(), WORKER_PATH],
    options.cpus,
    options.minOpenFiles,
  )
  return spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
}

/** Adds the processes' counts and rates, and merges their latency histograms. */
export function mergeReports(
  reports: WorkerReport[],
  failures: string[],
  processes: number,
): LoadResult {
  const latency = new Histogram()
  let rate = 0
  let generatorCpu = 0
  let generatorCpuTotal = 0
  const result = { messages: 0, sent: 0, windowMs: 0, errors: failures.length, connections: 0 }
  const samples = [...failures]
  for (const report of reports) {
    latency.merge(report.latency)
    if (report.windowMs > 0) {
      rate += (report.messages * 1000) / report.windowMs
      generatorCpu = Math.max(generatorCpu, report.cpuMs / report.windowMs)
      generatorCpuTotal += report.cpuMs / report.windowMs
    }
    result.messages += report.messages
    result.sent += report.sent
    result.windowMs = Math.max(result.windowMs, report.windowMs)
    result.errors += report.errors
    result.connections += report.connections
    samples.push(...report.errorSamples)
  }
  return {
    ...result,
    rate,
    errorSamples: samples.slice(0, 8),
    latency: {
      p50Us: latency.percentile(0.5),
      p99Us: latency.percentile(0.99),
      maxUs: latency.max,
      count: latency.count,
    },
    generatorCpu,
    generatorCpuTotal,
    processes,
  }
}

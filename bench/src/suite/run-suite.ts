import { randomBytes } from 'node:crypto'
import { type LoadResult, runLoad } from '../load/coordinator.js'
import type { Target } from '../load/protocols.js'
import type { LaunchedServer } from '../process/launch.js'
import { launch } from '../process/launch.js'
import { redisAvailable, startRedis } from '../process/redis-instance.js'
import { machineInfo } from '../report/machine.js'
import { nodeChannelsProblem, pythonProblem, SERVERS, type ServerSpec } from '../servers/catalog.js'
import { type BenchConfig, BenchConfigError } from './config.js'
import type { ScenarioResult, SuiteResult } from './results.js'
import { type ScenarioSpec, scenarioSpecs } from './scenarios.js'
import { systemBusyMs } from './system-load.js'

const SETTLE_SAMPLE_MS = 100
const SETTLE_LIMIT_MS = 5_000
const QUIET_SHARE = 0.15
const HELD_SETTLE_MS = 500

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Waits (bounded) until the servers are idle, so one scenario's tail does not count in the
 * next, and, for at most `quietWaitMs` of that, until the rest of the machine is quiet too
 * (a shared machine: whatever else runs is reported per cell as "other CPU").
 */
async function settle(servers: LaunchedServer[], quietWaitMs: number): Promise<void> {
  const start = Date.now()
  while (Date.now() - start < SETTLE_LIMIT_MS) {
    const before = servers.reduce((sum, server) => sum + server.cpuTimeMs(), 0)
    const busyBefore = systemBusyMs()
    await delay(SETTLE_SAMPLE_MS)
    const serverMs = servers.reduce((sum, server) => sum + server.cpuTimeMs(), 0) - before
    const otherMs = systemBusyMs() - busyBefore - serverMs
    const idle = serverMs <= SETTLE_SAMPLE_MS * 0.1
    const quiet = otherMs <= SETTLE_SAMPLE_MS * QUIET_SHARE || Date.now() - start >= quietWaitMs
    if (idle && quiet) return
  }
}

type Measurement = {
  load: LoadResult
  serverCpu: number
  serverKernelCpu: number
  otherCpu: number
  memoryPerConnectionKiB: number | null
  heapPerConnectionKiB: number | null
  youngPerConnectionKiB: number | null
  problems: string[]
}

/**
 * One repeat of a scenario. With `readMemory` (a connect scenario's first repeat), the
 * server's resident memory is read before and while the connections are held, each time
 * after a full garbage collection; other repeats force no collection, so their window starts
 * from the heap the server grew naturally rather than one just compacted.
 */
async function measureOnce(
  spec: ScenarioSpec,
  servers: LaunchedServer[],
  targets: Target[],
  config: BenchConfig,
  readMemory: boolean,
): Promise<Measurement> {
  const problems: string[] = []
  const cpu = () => servers.reduce((sum, server) => sum + server.cpuTimeMs(), 0)
  const split = () =>
    servers.reduce(
      (sum, server) => {
        const { userMs, kernelMs } = server.cpuSplitMs()
        return { userMs: sum.userMs + userMs, kernelMs: sum.kernelMs + kernelMs }
      },
      { userMs: 0, kernelMs: 0 },
    )
  let serverStart = 0
  let serverEnd = 0
  let splitStart = { userMs: 0, kernelMs: 0 }
  let splitEnd = { userMs: 0, kernelMs: 0 }
  let busyStart = 0
  let busyEnd = 0
  let memoryPerConnectionKiB: number | null = null
  let heapPerConnectionKiB: number | null = null
  let youngPerConnectionKiB: number | null = null
  const first = servers[0]
  const rssBefore = readMemory && first !== undefined ? await first.residentBytes() : 0
  const heapBefore = first?.heapBytes ?? null
  const youngBefore = first?.youngBytes ?? null
  let heldConnections = 0
  const job = spec.job(targets)
  const load = await runLoad(job, {
    processes: config.generatorProcesses,
    cpus: config.generatorCpus,
    timeLimitMs:
      config.warmupMs + config.durationMs + config.drainMs + config.connectTimeoutMs * 8 + 60_000,
    minOpenFiles: config.idleConnections + 1_024,
    onWindowStart: () => {
      serverStart = cpu()
      splitStart = split()
      busyStart = systemBusyMs()
    },
    onWindowEnd: () => {
      serverEnd = cpu()
      splitEnd = split()
      busyEnd = systemBusyMs()
    },
    onHolding: async () => {
      if (first === undefined || !readMemory) return
      await delay(HELD_SETTLE_MS)
      const rssAfter = await first.residentBytes()
      heldConnections = job.kind === 'connect' ? job.connections : 0
      const heapAfter = first.heapBytes
      if (heldConnections > 0) {
        memoryPerConnectionKiB = (rssAfter - rssBefore) / heldConnections / 1024
        if (heapBefore !== null && heapAfter !== null) {
          heapPerConnectionKiB = (heapAfter - heapBefore) / heldConnections / 1024
        }
        const youngAfter = first.youngBytes
        if (youngBefore !== null && youngAfter !== null) {
          youngPerConnectionKiB = (youngAfter - youngBefore) / heldConnections / 1024
        }
      }
    },
  })
  if (readMemory && load.connections !== heldConnections) {
    problems.push(
      `${load.connections} of ${heldConnections} connections were held when memory was read.`,
    )
  }
  const windowMs = load.windowMs > 0 ? load.windowMs : 1
  const serverCpu = (serverEnd - serverStart) / windowMs
  // The precise total, split in the proportion of the (coarser) user and kernel ticks.
  const userTicksMs = splitEnd.userMs - splitStart.userMs
  const kernelTicksMs = splitEnd.kernelMs - splitStart.kernelMs
  const tickedMs = userTicksMs + kernelTicksMs
  const serverKernelCpu = tickedMs > 0 ? (serverCpu * kernelTicksMs) / tickedMs : 0
  const otherCpu = Math.max(
    0,
    (busyEnd - busyStart) / windowMs - serverCpu - load.generatorCpuTotal,
  )
  return {
    load,
    serverCpu,
    serverKernelCpu,
    otherCpu,
    memoryPerConnectionKiB,
    heapPerConnectionKiB,
    youngPerConnectionKiB,
    problems,
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2
}

/** The median of the values read (null: not read), or null when none was. */
function medianOf(values: (number | null)[]): number | null {
  const read = values.filter((value): value is number => value !== null)
  return read.length > 0 ? median(read) : null
}

function emptyResult(
  server: ServerSpec,
  spec: ScenarioSpec,
  status: 'failed' | 'skipped',
  reason: string,
): ScenarioResult {
  return {
    server: server.id,
    serverLabel: server.label,
    family: server.family,
    processes: server.processes,
    scenario: spec.id,
    scenarioTitle: spec.title,
    kind: spec.kind,
    unit: spec.unit,
    status,
    reason,
    rate: 0,
    rates: [],
    p50Us: 0,
    p99Us: 0,
    maxUs: 0,
    messages: 0,
    errors: status === 'failed' ? 1 : 0,
    errorSamples: status === 'failed' ? [reason] : [],
    windowMs: 0,
    serverCpu: 0,
    serverKernelCpu: 0,
    generatorCpu: 0,
    otherCpu: 0,
    connections: 0,
    memoryPerConnectionKiB: null,
    heapPerConnectionKiB: null,
    youngPerConnectionKiB: null,
    parameters: spec.parameters,
  }
}

/** The targets a scenario's load generator is pointed at: one per process of the server. */
function targetsOf(server: ServerSpec, running: LaunchedServer[]): Target[] {
  return running.map((process) => ({ port: process.port, protocol: server.protocol }))
}

/**
 * The cell of one server and scenario, from its repeats: the median rate and that repeat's
 * figures, and the median of the memory read on the first repeat and on `memoryProbes`.
 */
function summarize(
  server: ServerSpec,
  spec: ScenarioSpec,
  runs: Measurement[],
  memoryProbes: Measurement[],
): ScenarioResult {
  const rates = runs.map((run) => run.load.rate)
  const chosen =
    runs.find((run) => run.load.rate === median(rates)) ??
    [...runs].sort((a, b) => a.load.rate - b.load.rate)[Math.floor(runs.length / 2)]
  if (chosen === undefined) return emptyResult(server, spec, 'failed', 'No repeat ran.')
  const all = [...runs, ...memoryProbes]
  const errors = all.reduce((sum, run) => sum + run.load.errors + run.problems.length, 0)
  const errorSamples = all.flatMap((run) => [...run.problems, ...run.load.errorSamples]).slice(0, 8)
  const fresh = runs.length > 0 ? [runs[0] as Measurement, ...memoryProbes] : []
  const failed = errors > 0 || chosen.load.messages === 0
  return {
    ...emptyResult(server, spec, 'skipped', ''),
    status: failed ? 'failed' : 'ok',
    reason: failed ? (errorSamples[0] ?? 'Nothing was measured in the window.') : null,
    rate: median(rates),
    rates,
    p50Us: chosen.load.latency.p50Us,
    p99Us: chosen.load.latency.p99Us,
    maxUs: chosen.load.latency.maxUs,
    messages: chosen.load.messages,
    errors,
    errorSamples,
    windowMs: chosen.load.windowMs,
    serverCpu: chosen.serverCpu,
    serverKernelCpu: chosen.serverKernelCpu,
    generatorCpu: chosen.load.generatorCpu,
    otherCpu: chosen.otherCpu,
    connections: chosen.load.connections,
    memoryPerConnectionKiB: medianOf(fresh.map((run) => run.memoryPerConnectionKiB)),
    memoryReadingsKiB: fresh.flatMap((run) =>
      run.memoryPerConnectionKiB === null ? [] : [run.memoryPerConnectionKiB],
    ),
    heapPerConnectionKiB: medianOf(fresh.map((run) => run.heapPerConnectionKiB)),
    youngPerConnectionKiB: medianOf(fresh.map((run) => run.youngPerConnectionKiB)),
  }
}

/** One repeat on the contender's running processes, once the machine is quiet. */
async function measureContender(
  contender: Contender,
  spec: ScenarioSpec,
  config: BenchConfig,
  readMemory: boolean,
): Promise<Measurement> {
  await settle(contender.running, config.quietWaitMs)
  const targets = targetsOf(contender.server, contender.running)
  return measureOnce(spec, contender.running, targets, config, readMemory)
}

/**
 * Reads idle memory on `config.repeats - 1` fresh processes besides the first repeat's: each
 * time the contender's processes (fresh, as none has run a cell of this scenario yet) take
 * the scenario's connections once, with memory read, and are then replaced by new ones. One
 * reading of a process's resident memory moves by several hundredths per connection from
 * process to process; the cell reports the median of all the readings. Only memory is kept
 * from these runs (and any error they met): the rate is the repeats' own.
 */
async function probeMemory(
  contender: Contender,
  spec: ScenarioSpec,
  config: BenchConfig,
  start: (contender: Contender) => Promise<void>,
): Promise<void> {
  const probes: Measurement[] = []
  contender.memoryProbes.set(spec.id, probes)
  for (let probe = 1; probe < config.repeats && contender.failure === null; probe++) {
    probes.push(await measureContender(contender, spec, config, true))
    await Promise.all(contender.running.map((process) => process.stop()))
    contender.running = []
    await start(contender)
  }
}

/** A server started for the run, with the repeats measured on it so far, by scenario. */
type Contender = {
  server: ServerSpec
  running: LaunchedServer[]
  runs: Map<string, Measurement[]>
  /** Memory read on processes started for it alone (see `probeMemory`), by scenario. */
  memoryProbes: Map<string, Measurement[]>
  /** Set once the server failed: its remaining cells fail with this reason. */
  failure: string | null
}

async function requirementProblem(
  server: ServerSpec,
  config: BenchConfig,
  redisUrl: string | null,
): Promise<string | null> {
  const withRedis = server.requires.includes('redis')
  if (withRedis && redisUrl === null) return 'redis-server is not installed'
  if (server.requires.includes('python')) return pythonProblem(config.python, withRedis)
  if (server.requires.includes('node-channels')) return nodeChannelsProblem(withRedis)
  return null
}

/**
 * The items whose ids are `wanted` (all of them when null), in their own order; an id that
 * names none is a BenchConfigError listing the known ones.
 */
export function selected<T extends { id: string }>(
  what: string,
  items: T[],
  wanted: string[] | null,
): T[] {
  if (wanted === null) return items
  const known = items.map((item) => item.id)
  const unknown = wanted.filter((id) => !known.includes(id))
  if (unknown.length > 0) {
    throw new BenchConfigError(
      `Unknown ${what} ${unknown.map((id) => JSON.stringify(id)).join(', ')}; known: ${known.join(', ')}.`,
    )
  }
  return items.filter((item) => wanted.includes(item.id))
}

/** Runs every selected scenario against every selected server; `log` gets one line per cell. */
export async function runSuite(
  config: BenchConfig,
  log: (line: string) => void = () => {},
): Promise<SuiteResult> {
  const startedAt = new Date()
  const startMs = Date.now()
  const machine = machineInfo(config.python)
  const specs = selected('scenario', scenarioSpecs(config), config.scenarios)
  const servers = selected('server', SERVERS, config.servers)
  const needsRedis = servers.some((server) => server.requires.includes('redis'))
  const redis = needsRedis && redisAvailable() ? await startRedis(config.redisCpus) : null
  const results: ScenarioResult[] = []
  const contenders: Contender[] = []
  try {
    // Each server is started just before its first cell (so every server's memory is read
    // on an equally fresh process) and then stays up, idle between its cells, so that the
    // servers' cells of one scenario run next to each other: a slow spell of this shared
    // machine then falls on neighbouring cells of every server, not on one server's cell.
    for (const server of servers) {
      const applicable = specs.filter((spec) => server.runs(spec))
      if (applicable.length === 0) continue
      const problem = await requirementProblem(server, config, redis?.url ?? null)
      if (problem !== null) {
        const status = config.requireAllPeers ? 'failed' : 'skipped'
        for (const spec of applicable) results.push(emptyResult(server, spec, status, problem))
        log(`${server.label}: ${status}, ${problem}`)
        continue
      }
      contenders.push({
        server,
        running: [],
        runs: new Map(),
        memoryProbes: new Map(),
        failure: null,
      })
    }
    const start = async (contender: Contender): Promise<void> => {
      const context = {
        python: config.python,
        serverCpus: config.serverCpus,
        minOpenFiles: config.idleConnections + 1_024,
        redisUrl: redis?.url ?? null,
        redisPrefix: `bench-${randomBytes(4).toString('hex')}`,
      }
      try {
        for (let index = 0; index < contender.server.processes; index++)
          contender.running.push(await launch(contender.server.launch(context)))
      } catch (error) {
        contender.failure = error instanceof Error ? error.message : String(error)
        log(`${contender.server.label}: failed, ${contender.failure}`)
      }
    }
    // Scenario by scenario, repeat by repeat, server by server. Memory is read on each
    // server's first connect repeat, right after its process started (connect-idle runs
    // first), and on the fresh processes of `probeMemory` before it.
    for (const spec of specs) {
      const taking = contenders.filter((contender) => contender.server.runs(spec))
      for (let repeat = 0; repeat < config.repeats; repeat++) {
        for (const contender of taking) {
          if (contender.running.length === 0 && contender.failure === null) await start(contender)
          if (contender.failure !== null) continue
          const stopped = contender.running.find((process) => !process.running)
          if (stopped !== undefined) {
            contender.failure = `${stopped.name} exited: ${stopped.recentOutput}`
            continue
          }
          try {
            const readMemory = spec.kind === 'connect' && repeat === 0
            if (readMemory) await probeMemory(contender, spec, config, start)
            if (contender.failure !== null) continue
            const runs = contender.runs.get(spec.id) ?? []
            contender.runs.set(spec.id, runs)
            runs.push(await measureContender(contender, spec, config, readMemory))
          } catch (error) {
            contender.failure = error instanceof Error ? error.message : String(error)
          }
        }
      }
      for (const { server, runs, memoryProbes, failure } of taking) {
        const measured = runs.get(spec.id) ?? []
        const result =
          failure !== null && measured.length < config.repeats
            ? emptyResult(server, spec, 'failed', failure)
            : summarize(server, spec, measured, memoryProbes.get(spec.id) ?? [])
        results.push(result)
        log(formatLogLine(result))
      }
    }
  } finally {
    await Promise.all(
      contenders.flatMap((contender) => contender.running.map((process) => process.stop())),
    )
    await redis?.server.stop()
  }
  // Reported server by server, in catalogue order (the order of the tables).
  const serverOrder = (id: string): number => servers.findIndex((server) => server.id === id)
  const specOrder = (id: string): number => specs.findIndex((spec) => spec.id === id)
  results.sort(
    (a, b) =>
      serverOrder(a.server) - serverOrder(b.server) ||
      specOrder(a.scenario) - specOrder(b.scenario),
  )
  return {
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startMs,
    smoke: config.smoke,
    config,
    machine,
    results,
  }
}

function formatLogLine(result: ScenarioResult): string {
  const memory =
    result.memoryPerConnectionKiB === null
      ? ''
      : `, ${result.memoryPerConnectionKiB.toFixed(1)} KiB/conn`
  const status = result.status === 'ok' ? '' : ` [${result.status}: ${result.reason}]`
  return `${result.serverLabel} | ${result.scenario}: ${Math.round(result.rate)} ${result.unit}, p50 ${(result.p50Us / 1000).toFixed(2)} ms, p99 ${(result.p99Us / 1000).toFixed(2)} ms${memory}, server ${result.serverCpu.toFixed(2)} (kernel ${(result.serverKernelCpu ?? 0).toFixed(2)}) / generator ${result.generatorCpu.toFixed(2)} / other ${result.otherCpu.toFixed(2)} cores${status}`
}

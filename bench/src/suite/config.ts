import os from 'node:os'
import { parseArgs } from 'node:util'

/** Everything one benchmark run is parameterised by. */
export type BenchConfig = {
  /** Smoke mode: every scenario tiny and short (CI keeps the benchmark itself working). */
  smoke: boolean
  warmupMs: number
  durationMs: number
  drainMs: number
  connectTimeoutMs: number
  /** Echo shapes: clients x messages in flight per client, for each payload size. */
  echoShapes: Array<{ clients: number; inFlight: number }>
  echoSizes: number[]
  receivers: number
  burstSize: number
  deliveryTimeoutMs: number
  idleConnections: number
  connectConcurrency: number
  /** How long to wait, before each cell, for the rest of the machine to go quiet. */
  quietWaitMs: number
  /** Each scenario runs this many times; the table shows the median. */
  repeats: number
  generatorProcesses: number
  /** taskset CPU lists; null (unpinned) on a machine with a single core. */
  generatorCpus: string | null
  serverCpus: string | null
  /** Where the run's private redis-server runs (a taskset list); null: any CPU. */
  redisCpus: string | null
  /** Run only these servers / scenarios (null: all). */
  servers: string[] | null
  scenarios: string[] | null
  python: string
  /** Fail instead of skipping a peer whose runtime (Python, Redis) is missing. */
  requireAllPeers: boolean
  /** Write bench/results/latest.json, docs/benchmarks.md and the chart. */
  writeFiles: boolean
  /** Also write the results JSON here (the smoke test reads it). */
  jsonPath: string | null
  /** Run nothing: rewrite the page and the chart from this results JSON (after a report change). */
  renderFrom: string | null
  /** Run nothing: print BENCH_USAGE (`--help`). */
  help: boolean
}

/** What `pnpm bench --help` prints, and what a bad command line is answered with. */
export const BENCH_USAGE = `Usage: pnpm bench [options]   (node bench/dist/run.js [options])
  --smoke                 every scenario tiny and short (BENCH_SMOKE=1)
  --servers a,b           only these servers (BENCH_SERVERS)
  --scenarios x,y         only these scenarios (BENCH_SCENARIOS)
  --repeats N             runs per cell; the table shows the median (BENCH_REPEATS)
  --duration-ms N         measuring window per run (BENCH_DURATION_MS)
  --warmup-ms N           warm-up before each window (BENCH_WARMUP_MS)
  --generators N          load generator processes (BENCH_GENERATORS)
  --no-write              print only; leave docs/benchmarks.md and the results alone (BENCH_NO_WRITE=1)
  --json FILE             also write the results as JSON to FILE
  --render FILE           run nothing: rewrite the page and the chart from results JSON
  -h, --help              print this
Environment: BENCH_PYTHON, BENCH_GENERATOR_CPUS, BENCH_SERVER_CPUS (taskset lists),
BENCH_REDIS_CPUS (a taskset list for the private redis-server; any CPU by default),
BENCH_SERVER_NODE_FLAGS and BENCH_GENERATOR_NODE_FLAGS (Node flags for the server programs
and the load generators).`

/** A bad benchmark command line (an unknown option, server or scenario, or a bad number), quoted. */
export class BenchConfigError extends Error {
  override name = 'BenchConfigError'
}

const FULL: BenchConfig = {
  smoke: false,
  warmupMs: 750,
  durationMs: 2_000,
  drainMs: 15_000,
  connectTimeoutMs: 10_000,
  echoShapes: [
    { clients: 50, inFlight: 1 },
    { clients: 200, inFlight: 10 },
  ],
  echoSizes: [64, 16_384],
  receivers: 1_000,
  burstSize: 10,
  deliveryTimeoutMs: 10_000,
  idleConnections: 5_000,
  connectConcurrency: 50,
  quietWaitMs: 2_000,
  repeats: 3,
  generatorProcesses: 1,
  generatorCpus: '0',
  serverCpus: '1',
  redisCpus: null,
  servers: null,
  scenarios: null,
  python: '/usr/bin/python3',
  requireAllPeers: false,
  writeFiles: true,
  jsonPath: null,
  renderFrom: null,
  help: false,
}

const SMOKE: Partial<BenchConfig> = {
  smoke: true,
  warmupMs: 100,
  durationMs: 300,
  drainMs: 3_000,
  connectTimeoutMs: 5_000,
  echoShapes: [
    { clients: 5, inFlight: 1 },
    { clients: 10, inFlight: 3 },
  ],
  receivers: 20,
  burstSize: 3,
  deliveryTimeoutMs: 5_000,
  idleConnections: 100,
  connectConcurrency: 10,
  quietWaitMs: 0,
  repeats: 1,
  writeFiles: false,
}

function positiveInteger(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback
  const value = Number(text)
  if (!Number.isInteger(value) || value < 1) {
    throw new BenchConfigError(`${name} must be a positive integer, got ${JSON.stringify(text)}.`)
  }
  return value
}

/**
 * Whether `env` says this runs in CI (CI set, and neither empty nor "false"): there a peer,
 * Redis or Python the benchmark needs is a failure, not a skip.
 */
export function runsInCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI !== undefined && env.CI !== '' && env.CI !== 'false'
}

/** BENCH_REDIS_CPUS: a taskset list, or "any" for no pinning; `fallback` when unset. */
function redisCpus(text: string | undefined, fallback: string | null): string | null {
  if (text === undefined || text === '') return fallback
  return text === 'any' ? null : text
}

function list(text: string | undefined): string[] | null {
  if (text === undefined || text.trim() === '') return null
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

/**
 * Reads the configuration from the command line, then the environment:
 * `--smoke` / BENCH_SMOKE=1, `--duration-ms` / BENCH_DURATION_MS, `--warmup-ms` / BENCH_WARMUP_MS,
 * `--repeats` / BENCH_REPEATS, `--generators` / BENCH_GENERATORS, `--servers a,b` / BENCH_SERVERS,
 * `--scenarios x,y` / BENCH_SCENARIOS, `--no-write` / BENCH_NO_WRITE=1, `--json <file>`, `--render <results.json>`, BENCH_PYTHON, BENCH_GENERATOR_CPUS, BENCH_SERVER_CPUS and BENCH_REDIS_CPUS (taskset lists; "any" leaves Redis unpinned, the default), and in CI
 * (CI set) a peer whose runtime is missing is a failure rather than a skip. Throws a
 * BenchConfigError for an unknown option or a bad number.
 */
export function readConfig(
  argv: string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): BenchConfig {
  const { values } = parseCommandLine(argv)
  const smoke = values.smoke === true || env.BENCH_SMOKE === '1'
  // One core: nothing to pin apart (a CI runner, say), so everything runs unpinned.
  const pinnable = os.availableParallelism() >= 2
  const base: BenchConfig = smoke ? { ...FULL, ...SMOKE } : { ...FULL }
  return {
    ...base,
    durationMs: positiveInteger(
      '--duration-ms',
      values['duration-ms'] ?? env.BENCH_DURATION_MS,
      base.durationMs,
    ),
    warmupMs: positiveInteger(
      '--warmup-ms',
      values['warmup-ms'] ?? env.BENCH_WARMUP_MS,
      base.warmupMs,
    ),
    repeats: positiveInteger('--repeats', values.repeats ?? env.BENCH_REPEATS, base.repeats),
    generatorProcesses: positiveInteger(
      '--generators',
      values.generators ?? env.BENCH_GENERATORS,
      base.generatorProcesses,
    ),
    servers: list(values.servers ?? env.BENCH_SERVERS),
    scenarios: list(values.scenarios ?? env.BENCH_SCENARIOS),
    python: env.BENCH_PYTHON ?? base.python,
    generatorCpus: pinnable ? (env.BENCH_GENERATOR_CPUS ?? base.generatorCpus) : null,
    serverCpus: pinnable ? (env.BENCH_SERVER_CPUS ?? base.serverCpus) : null,
    redisCpus: pinnable ? redisCpus(env.BENCH_REDIS_CPUS, base.redisCpus) : null,
    requireAllPeers: runsInCi(env),
    writeFiles: base.writeFiles && values['no-write'] !== true && env.BENCH_NO_WRITE !== '1',
    jsonPath: values.json ?? null,
    renderFrom: values.render ?? null,
    help: values.help === true,
  }
}

/** The command line's options; an unknown option or a missing value is a BenchConfigError. */
function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        smoke: { type: 'boolean' },
        'duration-ms': { type: 'string' },
        'warmup-ms': { type: 'string' },
        repeats: { type: 'string' },
        generators: { type: 'string' },
        servers: { type: 'string' },
        scenarios: { type: 'string' },
        'no-write': { type: 'boolean' },
        json: { type: 'string' },
        render: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (error) {
    throw new BenchConfigError((error as Error).message)
  }
}

import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { SERVERS } from './servers/catalog.js'
import { readConfig, runsInCi } from './suite/config.js'
import type { SuiteResult } from './suite/results.js'
import { scenarioSpecs } from './suite/scenarios.js'

const REPO = fileURLToPath(new URL('../../', import.meta.url))
const RUNNER = fileURLToPath(new URL('../dist/run.js', import.meta.url))
const SMOKE_LIMIT_MS = 120_000
const inCi = runsInCi()

type Run = { code: number | null; stdout: string; stderr: string; suite: SuiteResult }

/** Runs `pnpm bench`'s runner in smoke mode as CI would, bounded in time, and reads its JSON. */
function runSmoke(extraArgs: string[] = []): Promise<Run> {
  const directory = mkdtempSync(join(tmpdir(), 'bench-smoke-'))
  const jsonPath = join(directory, 'smoke.json')
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER, '--smoke', '--json', jsonPath, ...extraArgs], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text
    })
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), SMOKE_LIMIT_MS)
    child.once('exit', (code) => {
      clearTimeout(timer)
      try {
        const suite = JSON.parse(readFileSync(jsonPath, 'utf8')) as SuiteResult
        resolve({ code, stdout, stderr, suite })
      } catch (error) {
        reject(
          new Error(
            `The smoke run wrote no results (exit ${code}):\n${stdout}\n${stderr}\n${String(error)}`,
          ),
        )
      } finally {
        rmSync(directory, { recursive: true, force: true })
      }
    })
  })
}

describe('the benchmark in smoke mode', () => {
  let run: Run

  beforeAll(async () => {
    // The generator and the servers run as separate compiled processes: build them first.
    spawnSync('pnpm', ['exec', 'tsc', '-b', 'bench'], { cwd: REPO, stdio: 'inherit' })
    run = await runSmoke()
  }, SMOKE_LIMIT_MS + 60_000)

  it('runs every scenario against every server without a failed cell', () => {
    const failed = run.suite.results.filter((result) => result.status === 'failed')
    expect(failed.map((result) => `${result.server} ${result.scenario}: ${result.reason}`)).toEqual(
      [],
    )
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('scenario')
    expect(run.stdout).toContain('Finished in')
  })

  it('has a cell for every server x applicable scenario, skipping only peers whose runtime is missing outside CI', () => {
    const specs = scenarioSpecs(readConfig(['--smoke'], {}))
    expect([...new Set(run.suite.results.map((result) => result.scenario))]).toEqual(
      specs.map((spec) => spec.id),
    )
    for (const server of SERVERS) {
      const cells = run.suite.results.filter((result) => result.server === server.id)
      expect(cells.map((cell) => cell.scenario)).toEqual(
        specs.filter((spec) => server.runs(spec)).map((spec) => spec.id),
      )
      for (const cell of cells.filter((result) => result.status === 'skipped')) {
        expect(inCi, `${cell.server} was skipped in CI: ${cell.reason}`).toBe(false)
        expect(server.requires.some((need) => need === 'python' || need === 'redis')).toBe(true)
      }
    }
    const mustRun = ['raw-ws', 'raw-ws-cork', 'socket.io', 'node-channels', 'node-channels-relays']
    for (const id of mustRun) {
      expect(
        run.suite.results
          .filter((result) => result.server === id)
          .every((result) => result.status === 'ok'),
      ).toBe(true)
    }
  })

  it('measured real traffic in every cell that ran: counts, rates, latencies, and no errors', () => {
    const ran = run.suite.results.filter((result) => result.status === 'ok')
    expect(ran.length).toBeGreaterThanOrEqual(20)
    const { config } = run.suite
    for (const cell of ran) {
      const where = `${cell.server} ${cell.scenario}`
      expect(cell.errors, where).toBe(0)
      expect(cell.messages, where).toBeGreaterThan(0)
      expect(cell.rate, where).toBeGreaterThan(0)
      expect(cell.windowMs, where).toBeGreaterThan(0)
      expect(cell.p50Us, where).toBeGreaterThan(0)
      expect(cell.p99Us, where).toBeGreaterThanOrEqual(cell.p50Us)
      expect(cell.serverCpu, where).toBeGreaterThan(0)
      if (cell.kind === 'connect') {
        expect(cell.connections, where).toBe(config.idleConnections)
        expect(Number.isFinite(cell.memoryPerConnectionKiB), where).toBe(true)
        // Node servers report their V8 young generation; Daphne has none.
        if (cell.family === 'django') expect(cell.youngPerConnectionKiB, where).toBeNull()
        else expect(Number.isFinite(cell.youngPerConnectionKiB), where).toBe(true)
      }
      if (cell.kind === 'broadcast') {
        expect(cell.connections, where).toBe(config.receivers)
        expect(cell.messages, where).toBeGreaterThanOrEqual(config.receivers)
      }
      if (cell.kind === 'echo') expect(cell.connections, where).toBe(cell.parameters.clients)
    }
  })
})

describe('idle memory in the benchmark', () => {
  it(
    'is the median of one reading per fresh process, one per repeat',
    async () => {
      spawnSync('pnpm', ['exec', 'tsc', '-b', 'bench'], { cwd: REPO, stdio: 'inherit' })
      const args = ['--servers', 'raw-ws,node-channels', '--scenarios', 'connect-idle']
      const run = await runSmoke([...args, '--repeats', '3'])
      expect(run.code, run.stderr).toBe(0)
      expect(run.suite.results).toHaveLength(2)
      for (const cell of run.suite.results) {
        expect(cell.status, `${cell.server}: ${cell.reason}`).toBe('ok')
        expect(cell.rates).toHaveLength(3)
        const readings = cell.memoryReadingsKiB ?? []
        expect(readings).toHaveLength(3)
        for (const reading of readings) expect(Number.isFinite(reading)).toBe(true)
        expect(cell.memoryPerConnectionKiB).toBe([...readings].sort((a, b) => a - b)[1])
        // Fixed in size and filled before the readings: none of it is counted.
        expect(cell.youngPerConnectionKiB).toBe(0)
      }
    },
    SMOKE_LIMIT_MS,
  )
})

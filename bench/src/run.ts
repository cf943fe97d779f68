import { readFileSync, writeFileSync } from 'node:fs'
import { textTable } from './report/format.js'
import { detailTable, targetTable } from './report/tables.js'
import { checkTargets } from './report/targets.js'
import { writeOutputs } from './report/write-files.js'
import { BENCH_USAGE, type BenchConfig, BenchConfigError, readConfig } from './suite/config.js'
import type { SuiteResult } from './suite/results.js'
import { runSuite } from './suite/run-suite.js'

/**
 * `pnpm bench`: runs every scenario against every server, prints the table and the targets,
 * and (unless smoke or --no-write) writes bench/results/latest.json, docs/benchmarks.md and
 * docs/benchmarks/chart.svg. Exits 1 when a cell failed. `--render <results.json>` only
 * rewrites the page and the chart from earlier results. A bad command line is answered with
 * what was wrong and the usage, exit code 2.
 */
function refuse(error: unknown): never {
  if (!(error instanceof BenchConfigError)) throw error
  console.error(`bench: ${error.message}\n\n${BENCH_USAGE}`)
  process.exit(2)
}

let config: BenchConfig
try {
  config = readConfig()
} catch (error) {
  refuse(error)
}
if (config.help) {
  console.log(BENCH_USAGE)
  process.exit(0)
}
if (config.renderFrom !== null) {
  const earlier = JSON.parse(readFileSync(config.renderFrom, 'utf8')) as SuiteResult
  const outputs = writeOutputs(earlier)
  console.log(`Wrote ${outputs.markdown} and ${outputs.chart} from ${config.renderFrom}.`)
  process.exit(0)
}
console.log(
  `node-channels benchmarks${config.smoke ? ' (smoke)' : ''}: server on cpu ${config.serverCpus ?? 'any'}, generator on cpu ${config.generatorCpus ?? 'any'}`,
)
const started = Date.now()
const suite = await runSuite(config, (line) =>
  console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`),
).catch(refuse)
const detail = detailTable(suite.results)
console.log(`\n${textTable(detail.header, detail.rows)}`)
const targets = targetTable(checkTargets(suite.results))
console.log(`\n${textTable(targets.header, targets.rows)}`)
if (config.jsonPath !== null) writeFileSync(config.jsonPath, `${JSON.stringify(suite, null, 2)}\n`)
if (config.writeFiles) {
  const outputs = writeOutputs(suite)
  console.log(`\nWrote ${outputs.json}, ${outputs.markdown} and ${outputs.chart}.`)
}
console.log(`\nFinished in ${Math.round(suite.durationMs / 1000)} s.`)
process.exitCode = suite.results.some((result) => result.status === 'failed') ? 1 : 0

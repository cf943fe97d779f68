import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { SuiteResult } from '../suite/results.js'
import { renderChart } from './chart.js'
import { renderMarkdown } from './markdown.js'

const REPO = new URL('../../../', import.meta.url)

/** Where a run's outputs go. */
export const OUTPUTS = {
  json: fileURLToPath(new URL('bench/results/latest.json', REPO)),
  markdown: fileURLToPath(new URL('docs/benchmarks.md', REPO)),
  chart: fileURLToPath(new URL('docs/benchmarks/chart.svg', REPO)),
}

/** Writes bench/results/latest.json, docs/benchmarks.md and docs/benchmarks/chart.svg. */
export function writeOutputs(suite: SuiteResult): typeof OUTPUTS {
  mkdirSync(new URL('bench/results/', REPO), { recursive: true })
  mkdirSync(new URL('docs/benchmarks/', REPO), { recursive: true })
  writeFileSync(OUTPUTS.json, `${JSON.stringify(suite, null, 2)}\n`)
  const subtitle = `${suite.machine.cpuModel}, ${suite.machine.cores} cores, Node ${suite.machine.node}, ${suite.startedAt.slice(0, 10)}: server on CPU ${suite.config.serverCpus ?? 'any'}, generator on CPU ${suite.config.generatorCpus ?? 'any'}`
  writeFileSync(OUTPUTS.chart, renderChart(suite.results, subtitle))
  writeFileSync(OUTPUTS.markdown, renderMarkdown(suite))
  return OUTPUTS
}

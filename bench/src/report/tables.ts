import type { ScenarioResult } from '../suite/results.js'
import { formatCpu, formatCpuPerOperation, formatMs, formatRate, formatRatio } from './format.js'
import type { TargetCheck } from './targets.js'

/** The CPU share above which a process counts as saturated. */
export const SATURATED = 0.9

function ratioToRawWs(results: ScenarioResult[], row: ScenarioResult): string {
  const base = results.find(
    (result) =>
      result.server === 'raw-ws' && result.scenario === row.scenario && result.status === 'ok',
  )
  return base === undefined || base.rate === 0 || row.status !== 'ok'
    ? ''
    : formatRatio(row.rate / base.rate)
}

/** How far apart the repeats were: highest minus lowest, over the median (blank for one repeat). */
function spreadCell(row: ScenarioResult): string {
  if (row.status !== 'ok' || row.rates.length < 2 || row.rate === 0) return ''
  const spread = (Math.max(...row.rates) - Math.min(...row.rates)) / row.rate
  return `${Math.round(spread * 100)}%`
}

function statusCell(row: ScenarioResult): string {
  if (row.status === 'ok') return row.generatorCpu >= SATURATED ? 'ok (generator-bound)' : 'ok'
  return `${row.status}: ${(row.reason ?? '').split('\n')[0]?.slice(0, 90) ?? ''}`
}

/** The full table: one row per scenario x server. */
export function detailTable(results: ScenarioResult[]): {
  header: string[]
  rows: string[][]
  alignRight: boolean[]
} {
  const header = [
    'scenario',
    'server',
    'rate',
    'spread',
    'unit',
    'p50 ms',
    'p99 ms',
    'vs raw ws',
    'KiB/conn',
    'heap KiB/conn',
    'young gen KiB/conn',
    'server CPU',
    'server µs/op (user + kernel)',
    'gen CPU',
    'other CPU',
    'status',
  ]
  const rows = results.map((row) => [
    row.scenario,
    row.serverLabel,
    row.status === 'ok' ? formatRate(row.rate) : '-',
    spreadCell(row),
    row.unit,
    row.status === 'ok' ? formatMs(row.p50Us) : '-',
    row.status === 'ok' ? formatMs(row.p99Us) : '-',
    ratioToRawWs(results, row),
    memoryCell(row),
    row.heapPerConnectionKiB === null ? '' : row.heapPerConnectionKiB.toFixed(1),
    row.youngPerConnectionKiB == null ? '' : row.youngPerConnectionKiB.toFixed(1),
    row.status === 'ok' ? formatCpu(row.serverCpu) : '',
    formatCpuPerOperation(row),
    row.status === 'ok' ? formatCpu(row.generatorCpu) : '',
    row.status === 'ok' ? formatCpu(row.otherCpu) : '',
    statusCell(row),
  ])
  return {
    header,
    rows,
    alignRight: [
      false,
      false,
      true,
      true,
      false,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      false,
    ],
  }
}

/** One row per server, one column per scenario (rates, and memory per connection). */
export function summaryTable(results: ScenarioResult[]): {
  header: string[]
  rows: string[][]
  alignRight: boolean[]
} {
  const scenarios = [...new Set(results.map((result) => result.scenario))]
  const servers = [
    ...new Map(results.map((result) => [result.server, result.serverLabel])).entries(),
  ]
  const withMemory = results.some((result) => result.memoryPerConnectionKiB !== null)
  const header = ['server', ...scenarios, ...(withMemory ? ['KiB/idle conn'] : [])]
  const rows = servers.map(([server, label]) => {
    const cells = scenarios.map((scenario) => {
      const row = results.find((result) => result.server === server && result.scenario === scenario)
      if (row === undefined) return ''
      return row.status === 'ok' ? formatRate(row.rate) : row.status
    })
    const memory = results.find(
      (result) => result.server === server && result.memoryPerConnectionKiB !== null,
    )?.memoryPerConnectionKiB
    return [
      label,
      ...cells,
      ...(withMemory ? [memory === undefined || memory === null ? '' : memory.toFixed(1)] : []),
    ]
  })
  return { header, rows, alignRight: header.map((_, column) => column > 0) }
}

/**
 * A target's ratio; where two decimals would read as the required value while the target is
 * missed, three, rounded away from it (0.9996 against ">= 1.00x" reads 0.999x, not 1.00x).
 */
function targetRatio(ratio: number, check: TargetCheck): string {
  const shown = formatRatio(ratio)
  if (check.met !== false || shown !== formatRatio(check.required)) return shown
  const round = check.comparison === '>=' ? Math.floor : Math.ceil
  return `${round(ratio * 1000) / 1000}x`
}

/** The targets of issue 8: ours, the reference, the ratio, and whether it is met. */
export function targetTable(checks: TargetCheck[]): {
  header: string[]
  rows: string[][]
  alignRight: boolean[]
} {
  const header = ['target', 'scenario', 'ours', 'reference', 'ratio', 'required', 'met']
  const value = (server: string, figure: number | null): string =>
    `${server}: ${figure === null ? 'n/a' : figure < 100 ? figure.toFixed(1) : formatRate(figure)}`
  const rows = checks.map((check) => [
    check.target,
    check.scenario,
    value(check.ours, check.oursValue),
    value(check.reference, check.referenceValue),
    check.ratio === null ? 'n/a' : targetRatio(check.ratio, check),
    `${check.comparison} ${formatRatio(check.required)}`,
    check.met === null ? 'not measured' : check.met ? 'yes' : 'NO',
  ])
  return { header, rows, alignRight: [false, false, true, true, true, true, false] }
}

/** Memory per connection, with each fresh process's reading when there were several. */
function memoryCell(row: ScenarioResult): string {
  if (row.memoryPerConnectionKiB === null) return ''
  const readings = row.memoryReadingsKiB ?? []
  const median = row.memoryPerConnectionKiB.toFixed(1)
  return readings.length > 1
    ? `${median} (${readings.map((reading) => reading.toFixed(1)).join(', ')})`
    : median
}

import type { ScenarioResult } from '../suite/results.js'

/** A rate with thousands separators and no decimals (`93,120`). */
export function formatRate(value: number): string {
  return Math.round(value).toLocaleString('en-US')
}

/** Microseconds as milliseconds with a precision that suits the size (`0.42`, `12.3`, `250`). */
export function formatMs(micros: number): string {
  const ms = micros / 1000
  if (ms < 10) return ms.toFixed(2)
  if (ms < 100) return ms.toFixed(1)
  return ms.toFixed(0)
}

/** A ratio as `0.93x`. */
export function formatRatio(value: number): string {
  return `${value.toFixed(value < 10 ? 2 : 1)}x`
}

/** A CPU fraction as a percentage of one core (`97%`). */
export function formatCpu(cores: number): string {
  return `${Math.round(cores * 100)}%`
}

/**
 * The server's CPU per operation (message, delivery or connection) in microseconds, split
 * into user and kernel mode; null for a failed cell or results that did not keep the split.
 */
function cpuPerOperation(row: ScenarioResult): { userUs: number; kernelUs: number } | null {
  if (row.status !== 'ok' || row.rate <= 0 || row.serverKernelCpu === undefined) return null
  const perOperationUs = 1e6 / row.rate
  return {
    userUs: (row.serverCpu - row.serverKernelCpu) * perOperationUs,
    kernelUs: row.serverKernelCpu * perOperationUs,
  }
}

/** CPU per operation as `user + kernel` microseconds (`3.1 + 6.4`); blank when unknown. */
export function formatCpuPerOperation(row: ScenarioResult): string {
  const split = cpuPerOperation(row)
  if (split === null) return ''
  const us = (value: number): string => value.toFixed(value < 100 ? 2 : 0)
  return `${us(split.userUs)} + ${us(split.kernelUs)}`
}

/** Pads cells into aligned columns for the terminal. */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)),
  )
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd()
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join(
    '\n',
  )
}

/** A GitHub-flavoured Markdown table. */
export function markdownTable(
  header: string[],
  rows: string[][],
  alignRight: boolean[] = [],
): string {
  const escapeCell = (cell: string): string => cell.replaceAll('|', '\\|')
  const rule = header.map((_, column) => (alignRight[column] ? '---:' : '---'))
  return [header, rule, ...rows]
    .map((cells, index) => `| ${(index === 1 ? cells : cells.map(escapeCell)).join(' | ')} |`)
    .join('\n')
}

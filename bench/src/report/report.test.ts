import { describe, expect, it } from 'vitest'
import { readConfig } from '../suite/config.js'
import type { ScenarioResult, SuiteResult } from '../suite/results.js'
import { renderChart } from './chart.js'
import { renderMarkdown } from './markdown.js'
import { escapeXml } from './svg.js'
import { detailTable, targetTable } from './tables.js'
import { checkTargets } from './targets.js'

function cell(
  server: string,
  scenario: string,
  rate: number,
  extra: Partial<ScenarioResult> = {},
): ScenarioResult {
  return {
    server,
    serverLabel: `<${server}>`,
    family: server.startsWith('node-channels') ? 'node-channels' : 'ws',
    processes: 1,
    scenario,
    scenarioTitle: scenario,
    kind: scenario.startsWith('echo')
      ? 'echo'
      : scenario.startsWith('broadcast')
        ? 'broadcast'
        : 'connect',
    unit: 'msg/s',
    status: 'ok',
    reason: null,
    rate,
    rates: [rate],
    p50Us: 500,
    p99Us: 2_000,
    maxUs: 3_000,
    messages: rate,
    errors: 0,
    errorSamples: [],
    windowMs: 1_000,
    serverCpu: 0.95,
    serverKernelCpu: 0.5,
    generatorCpu: 0.5,
    otherCpu: 0,
    connections: 10,
    memoryPerConnectionKiB: null,
    heapPerConnectionKiB: null,
    parameters: {},
    ...extra,
  }
}

const results = [
  cell('raw-ws', 'echo-64B-50x1', 100_000),
  cell('node-channels', 'echo-64B-50x1', 95_000),
  cell('daphne', 'echo-64B-50x1', 20_000),
  cell('raw-ws', 'connect-idle', 5_000, { memoryPerConnectionKiB: 8 }),
  cell('node-channels', 'connect-idle', 3_000, { memoryPerConnectionKiB: 12 }),
  cell('raw-ws-cork', 'broadcast-burst', 1_000_000),
  cell('node-channels', 'broadcast-burst', 0, { status: 'failed', reason: 'The sender ended.' }),
  cell('node-channels-relays', 'broadcast-burst', 900_000),
]

const machine: SuiteResult['machine'] = {
  cpuModel: 'Test CPU',
  cores: 2,
  memoryGiB: 4,
  kernel: 'Linux 6',
  loadAverageAtStart: [0.1, 0.2, 0.3],
  node: 'v20.20.2',
  python: '3.11.2',
  redis: '7.0.15',
  gitCommit: 'abc1234',
  packages: { ws: '8.23.0' },
}

function suiteOf(cells: ScenarioResult[]): SuiteResult {
  return {
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 1_000,
    smoke: false,
    config: readConfig([], {}),
    machine,
    results: cells,
  }
}

describe('the report', () => {
  it('checks each target as a ratio measured in the same run', () => {
    const checks = checkTargets(results)
    const echo = checks.filter((check) => check.scenario === 'echo-64B-50x1')
    expect(echo.map((check) => [check.reference, check.ratio, check.met])).toEqual([
      ['raw-ws', 0.95, true],
      ['daphne', 4.75, false],
    ])
    const memory = checks.find((check) => check.target.startsWith('memory'))
    expect([memory?.ratio, memory?.comparison, memory?.met]).toEqual([1.5, '<=', false])
    const setup = checks.find((check) => check.target.startsWith('connection setup'))
    expect([setup?.ratio, setup?.met]).toEqual([0.6, false])
    const burst = checks.filter((check) => check.target.startsWith('in-memory broadcast, burst'))
    expect(burst.map((check) => [check.ours, check.oursValue, check.ratio, check.met])).toEqual([
      ['node-channels', null, null, null],
      ['node-channels-relays', 900_000, 0.9, false],
    ])
  })

  it('draws one bar per measured cell, escapes labels and leaves failed cells out', () => {
    const svg = renderChart(results, 'a & b')
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
    expect(svg).toContain('a &amp; b')
    expect(svg).toContain('&lt;raw-ws&gt;')
    // 7 measured cells plus 2 memory bars, plus the background and 4 legend squares.
    expect(svg.match(/<rect /g)?.length).toBe(7 + 2 + 1 + 4)
    expect(svg).not.toContain('>0</text>')
    expect(escapeXml('"<&>"')).toBe('&quot;&lt;&amp;&gt;&quot;')
  })

  it('never shows a missed target with the ratio it needed', () => {
    const rows = targetTable(
      checkTargets([
        cell('raw-ws', 'broadcast-paced', 100_000),
        cell('node-channels', 'broadcast-paced', 89_960),
        cell('socket.io-redis', 'broadcast-paced', 100_000),
        cell('node-channels-redis', 'broadcast-paced', 99_960),
        cell('raw-ws', 'connect-idle', 100, { memoryPerConnectionKiB: 10 }),
        cell('node-channels', 'connect-idle', 100, { memoryPerConnectionKiB: 13.004 }),
      ]),
    ).rows
    const ratioOf = (target: string, ours: string): string | undefined =>
      rows.find((row) => row[0]?.startsWith(target) && row[2]?.startsWith(`${ours}:`))?.[4]
    expect(ratioOf('in-memory broadcast, paced', 'node-channels')).toBe('0.899x')
    expect(ratioOf('Redis cross-process broadcast >= socket.io', 'node-channels-redis')).toBe(
      '0.999x',
    )
    expect(ratioOf('memory', 'node-channels')).toBe('1.301x')
    expect(ratioOf('connection setup', 'node-channels')).toBe('1.00x')
  })

  it('shows how far apart the repeats were, blank for a single repeat or a failed cell', () => {
    const table = detailTable([
      cell('raw-ws', 'echo-64B-50x1', 100_000, { rates: [90_000, 100_000, 110_000] }),
      cell('node-channels', 'echo-64B-50x1', 95_000),
      cell('daphne', 'echo-64B-50x1', 0, { status: 'failed', rates: [0, 0, 10] }),
    ])
    const spread = table.header.indexOf('spread')
    expect(table.rows.map((row) => row[spread])).toEqual(['20%', '', ''])
  })

  it('splits server CPU per operation into user and kernel microseconds', () => {
    const table = detailTable([
      cell('raw-ws', 'echo-64B-50x1', 100_000, { serverCpu: 0.9, serverKernelCpu: 0.6 }),
      cell('node-channels', 'echo-64B-50x1', 50_000, { serverCpu: 1, serverKernelCpu: 0.25 }),
      // Results written before the split was kept have no kernel share: the cell is blank.
      cell('daphne', 'echo-64B-50x1', 10_000, { serverKernelCpu: undefined }),
    ])
    const column = table.header.indexOf('server µs/op (user + kernel)')
    expect(table.rows.map((row) => row[column])).toEqual(['3.00 + 6.00', '15.00 + 5.00', ''])
  })

  it('gives the CPU per operation of both sides of every missed rate target', () => {
    const page = renderMarkdown({
      startedAt: '2026-01-01T00:00:00.000Z',
      durationMs: 1_000,
      smoke: false,
      config: readConfig([], {}),
      machine,
      results: [
        cell('raw-ws', 'echo-64B-50x1', 100_000, { serverKernelCpu: 0.6 }),
        cell('node-channels', 'echo-64B-50x1', 50_000, { serverKernelCpu: 0.3 }),
        cell('daphne', 'echo-64B-50x1', 1_000, { serverKernelCpu: 0.1 }),
      ],
    })
    expect(page).toContain(
      '- echo-64B-50x1, <node-channels>: 13.00 + 6.00 µs per message; <raw-ws>: 3.50 + 6.00.',
    )
    // The Daphne target is met: no line for it.
    expect(page).not.toContain('<daphne>: ')
  })

  it("shows the young generation's growth per connection, blank where none was read", () => {
    const withYoung = [
      cell('raw-ws', 'connect-idle', 5_000, {
        memoryPerConnectionKiB: 4,
        youngPerConnectionKiB: 0,
      }),
      cell('node-channels', 'connect-idle', 4_000, {
        memoryPerConnectionKiB: 6,
        youngPerConnectionKiB: 1.25,
      }),
      cell('daphne', 'connect-idle', 400, { memoryPerConnectionKiB: 30 }),
    ]
    const table = detailTable(withYoung)
    const column = table.header.indexOf('young gen KiB/conn')
    expect(table.rows.map((row) => row[column])).toEqual(['0.0', '1.3', ''])
    expect(table.alignRight).toHaveLength(table.header.length)
    expect(renderMarkdown(suiteOf(withYoung))).toContain('| 6.0 |  | 1.3 |')
  })

  it('writes the page with the machine, the targets met or not, and every cell', () => {
    const suite: SuiteResult = {
      startedAt: '2026-01-01T00:00:00.000Z',
      durationMs: 61_000,
      smoke: false,
      config: readConfig([], {}),
      machine,
      results,
    }
    const page = renderMarkdown(suite)
    expect(page).toContain('- CPU: Test CPU, 2 cores, 4 GiB; Linux 6')
    expect(page).toContain('1 met, 4 missed, 9 not measured.')
    expect(page).toContain(
      '| echo >= 5x Channels on Daphne | echo-64B-50x1 | node-channels: 95,000 | daphne: 20,000 | 4.75x | >= 5.00x | NO |',
    )
    expect(page).toContain('failed: The sender ended.')
    expect(page).toContain('![Benchmark chart](benchmarks/chart.svg)')
  })
})

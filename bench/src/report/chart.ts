import type { ScenarioResult } from '../suite/results.js'
import { formatRate } from './format.js'
import { element, svgDocument, text } from './svg.js'

/** Bar colours per family; node-channels stands out. */
const FAMILY_COLOURS: Record<string, string> = {
  ws: '#8c8c8c',
  'socket.io': '#4a7fb5',
  django: '#2f8f5b',
  'node-channels': '#d9622b',
}

const WIDTH = 900
const COLUMNS = 1
const PANEL_WIDTH = WIDTH / COLUMNS
const LABEL_WIDTH = 330
const BAR_HEIGHT = 14
const BAR_GAP = 5
const PANEL_TOP = 28
const PANEL_BOTTOM = 16

type Panel = {
  title: string
  bars: Array<{ label: string; family: string; value: number; caption: string }>
}

function panels(results: ScenarioResult[]): Panel[] {
  const scenarios = [...new Set(results.map((result) => result.scenario))]
  const list: Panel[] = []
  for (const scenario of scenarios) {
    const rows = results.filter((result) => result.scenario === scenario && result.status === 'ok')
    if (rows.length === 0) continue
    const first = rows[0] as ScenarioResult
    list.push({
      title: `${scenario}: ${first.unit} (higher is better)`,
      bars: rows.map((row) => ({
        label: row.serverLabel,
        family: row.family,
        value: row.rate,
        caption: formatRate(row.rate),
      })),
    })
    if (first.kind === 'connect') {
      const memory = rows.filter((row) => row.memoryPerConnectionKiB !== null)
      if (memory.length > 0) {
        list.push({
          title: 'idle memory: KiB RSS per connection (lower is better)',
          bars: memory.map((row) => {
            const kib = row.memoryPerConnectionKiB ?? 0
            return {
              label: row.serverLabel,
              family: row.family,
              value: Math.max(0, kib),
              caption: kib.toFixed(1),
            }
          }),
        })
      }
    }
  }
  return list
}

function panelHeight(panel: Panel): number {
  return PANEL_TOP + panel.bars.length * (BAR_HEIGHT + BAR_GAP) + PANEL_BOTTOM
}

function drawPanel(panel: Panel, x: number, y: number): string[] {
  const max = Math.max(...panel.bars.map((bar) => bar.value), 1e-9)
  const scale = (PANEL_WIDTH - LABEL_WIDTH - 70) / max
  const parts = [text(panel.title, { x: x + 8, y: y + 18, 'font-weight': 'bold' })]
  for (const [index, bar] of panel.bars.entries()) {
    const top = y + PANEL_TOP + index * (BAR_HEIGHT + BAR_GAP)
    const width = Math.max(1, bar.value * scale)
    parts.push(
      text(bar.label, { x: x + LABEL_WIDTH - 6, y: top + BAR_HEIGHT - 3, 'text-anchor': 'end' }),
    )
    parts.push(
      element('rect', {
        x: x + LABEL_WIDTH,
        y: top,
        width,
        height: BAR_HEIGHT,
        fill: FAMILY_COLOURS[bar.family] ?? '#999',
      }),
    )
    parts.push(text(bar.caption, { x: x + LABEL_WIDTH + width + 4, y: top + BAR_HEIGHT - 3 }))
  }
  return parts
}

/** The benchmark chart: one panel per scenario (and one for idle memory), bars per server. */
export function renderChart(results: ScenarioResult[], subtitle: string): string {
  const list = panels(results)
  const parts: string[] = [
    element('rect', { x: 0, y: 0, width: WIDTH, height: '100%', fill: '#ffffff' }),
    text('node-channels benchmarks', { x: 8, y: 20, 'font-size': 16, 'font-weight': 'bold' }),
    text(subtitle, { x: 8, y: 38, fill: '#555' }),
  ]
  let legendX = 8
  for (const [family, colour] of Object.entries(FAMILY_COLOURS)) {
    parts.push(element('rect', { x: legendX, y: 48, width: 12, height: 12, fill: colour }))
    parts.push(text(family, { x: legendX + 16, y: 58 }))
    legendX += 30 + family.length * 7
  }
  let y = 70
  for (let index = 0; index < list.length; index += COLUMNS) {
    const row = list.slice(index, index + COLUMNS)
    for (const [column, panel] of row.entries())
      parts.push(...drawPanel(panel, column * PANEL_WIDTH, y))
    y += Math.max(...row.map(panelHeight))
  }
  return svgDocument(WIDTH, y + 8, parts)
}

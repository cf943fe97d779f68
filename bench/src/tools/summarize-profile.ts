import { readFileSync } from 'node:fs'

/**
 * Summarises V8 .cpuprofile files (from `node --cpu-prof`): self time by function and by file,
 * so hot spots can be named in a report. Usage:
 *   node bench/dist/tools/summarize-profile.js <file.cpuprofile> [--top 25] [--filter node-channels]
 */
type ProfileNode = {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
type Profile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

function shortUrl(url: string): string {
  const packages = url.indexOf('/packages/')
  if (packages >= 0) return url.slice(packages + 1)
  const modules = url.lastIndexOf('/node_modules/')
  if (modules >= 0) return url.slice(modules + '/node_modules/'.length)
  return url.replace(/^file:\/\//, '') || '(native)'
}

function summarise(profile: Profile, top: number, filter: string | null): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const selfMs = new Map<number, number>()
  let totalMs = 0
  for (const [index, id] of profile.samples.entries()) {
    const ms = (profile.timeDeltas[index] ?? 0) / 1000
    selfMs.set(id, (selfMs.get(id) ?? 0) + ms)
    totalMs += ms
  }
  const byFunction = new Map<string, number>()
  const byFile = new Map<string, number>()
  for (const [id, ms] of selfMs) {
    const frame = byId.get(id)?.callFrame
    if (frame === undefined) continue
    const file = shortUrl(frame.url)
    const key = `${frame.functionName || '(anonymous)'}  ${file}:${frame.lineNumber + 1}`
    byFunction.set(key, (byFunction.get(key) ?? 0) + ms)
    byFile.set(file, (byFile.get(file) ?? 0) + ms)
  }
  const lines = (map: Map<string, number>): string[] =>
    [...map.entries()]
      .filter(([key]) => filter === null || key.includes(filter))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([key, ms]) =>
          `${((ms / totalMs) * 100).toFixed(1).padStart(5)}%  ${ms.toFixed(0).padStart(6)} ms  ${key}`,
      )
  return [
    `total ${totalMs.toFixed(0)} ms sampled`,
    '',
    'self time by function:',
    ...lines(byFunction),
    '',
    'self time by file:',
    ...lines(byFile),
  ].join('\n')
}

const args = process.argv.slice(2)
const topIndex = args.indexOf('--top')
const filterIndex = args.indexOf('--filter')
const top = topIndex >= 0 ? Number(args[topIndex + 1]) : 25
const filter = filterIndex >= 0 ? (args[filterIndex + 1] ?? null) : null
const optionValues = new Set(
  [topIndex, filterIndex].filter((index) => index >= 0).map((index) => index + 1),
)
const files = args.filter((arg, index) => !arg.startsWith('--') && !optionValues.has(index))
if (files.length === 0) {
  console.error('Usage: summarize-profile <file.cpuprofile>... [--top N] [--filter text]')
  process.exit(2)
}
for (const file of files) {
  console.log(`== ${file}`)
  console.log(summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile, top, filter))
}

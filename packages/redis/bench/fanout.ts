// Cross-process group fan-out benchmark for both Redis layers.
//
//   pnpm exec tsc -b packages/redis    # builds @node-channels/core, which the layers import
//   cd packages/redis && pnpm exec tsx bench/fanout.ts [--receivers 4] [--channels 25] \
//     [--messages 2000] [--window 32] [--latency-messages 300] [--pace-ms 3] [--layers core,pubsub]
//
// N receiver processes each open K channels of one layer and join one group; a sender process
// calls groupSend. Phase "latency" paces the sends (send-to-receive time without queueing);
// phase "throughput" keeps `window` group sends in flight. Every count and wait is bounded.
import { type ChildProcess, fork } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { Command, LayerSpec, Phase, Report } from './fanout-common.js'

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
    layers: { type: 'string', default: 'core,pubsub' },
    receivers: { type: 'string', default: '4' },
    channels: { type: 'string', default: '25' },
    messages: { type: 'string', default: '2000' },
    window: { type: 'string', default: '32' },
    'latency-messages': { type: 'string', default: '300' },
    'pace-ms': { type: 'string', default: '3' },
  },
})
const receivers = bounded('receivers', values.receivers, 1, 32)
const channels = bounded('channels', values.channels, 1, 1000)
const phases: Phase[] = [
  {
    name: 'latency',
    count: bounded('latency-messages', values['latency-messages'], 1, 100_000),
    paceMs: bounded('pace-ms', values['pace-ms'], 1, 1000),
    window: 1,
  },
  {
    name: 'throughput',
    count: bounded('messages', values.messages, 1, 1_000_000),
    paceMs: 0,
    window: bounded('window', values.window, 1, 1000),
  },
]
const PHASE_TIMEOUT_MS = 60_000
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))

/** A forked benchmark process and its reports, awaited one kind at a time. */
class Child {
  readonly process: ChildProcess
  readonly #reports: Report[] = []
  readonly #waiters: Array<() => void> = []

  constructor(file: string) {
    this.process = fork(here(file), { execArgv: ['--import', 'tsx'], stdio: 'inherit' })
    this.process.on('message', (message: Report) => {
      this.#reports.push(message)
      for (const waiter of this.#waiters.splice(0)) waiter()
    })
    this.process.on('exit', (code) => {
      if (code !== 0) console.error(`${file} exited with ${code}`)
    })
  }

  send(command: Command): void {
    this.process.send(command)
  }

  /** The next report with this `op`, within `timeoutMs`. */
  async next<T extends Report['op']>(
    op: T,
    timeoutMs: number,
  ): Promise<Extract<Report, { op: T }>> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const index = this.#reports.findIndex((report) => report.op === op)
      if (index !== -1) return this.#reports.splice(index, 1)[0] as Extract<Report, { op: T }>
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`No ${op} report within ${timeoutMs} ms.`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null) return
    const exited = new Promise((resolve) => this.process.once('exit', resolve))
    this.send({ op: 'stop' })
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
}

async function runLayer(kind: LayerSpec['kind']): Promise<string[]> {
  const spec: LayerSpec = { kind, url: values.url, prefix: `ncbench.${randomUUID().slice(0, 8)}.` }
  const group = 'bench-group'
  const sender = new Child('./fanout-sender.ts')
  const listeners = Array.from({ length: receivers }, () => new Child('./fanout-receiver.ts'))
  const rows: string[] = []
  try {
    for (const child of [sender, ...listeners]) child.send({ op: 'start', spec, group, channels })
    await Promise.all([sender, ...listeners].map((child) => child.next('ready', 30_000)))
    for (const phase of phases) {
      const expected = phase.count * channels
      for (const listener of listeners) {
        listener.send({ op: 'phase', phase, expected, timeoutMs: PHASE_TIMEOUT_MS })
      }
      await Promise.all(listeners.map((listener) => listener.next('ready', 10_000)))
      sender.send({ op: 'phase', phase, expected, timeoutMs: PHASE_TIMEOUT_MS })
      const sent = await sender.next('sent', PHASE_TIMEOUT_MS + 10_000)
      const received = await Promise.all(
        listeners.map((listener) => listener.next('received', PHASE_TIMEOUT_MS + 10_000)),
      )
      const latencies = received.flatMap((report) => report.latenciesMs).sort((a, b) => a - b)
      const lastAt = Math.max(...received.map((report) => report.lastAt))
      const seconds = (lastAt - sent.startedAt) / 1000
      const delivered = latencies.length
      rows.push(
        [
          kind.padEnd(6),
          phase.name.padEnd(10),
          `${phase.count} sends`.padEnd(11),
          `${delivered}/${expected * receivers} delivered`.padEnd(24),
          `${Math.round(phase.count / seconds)} groupSend/s`.padEnd(16),
          `${Math.round(delivered / seconds)} msg/s`.padEnd(14),
          `p50 ${percentile(latencies, 0.5)} ms`.padEnd(14),
          `p99 ${percentile(latencies, 0.99)} ms`.padEnd(14),
          `max ${percentile(latencies, 1)} ms`,
          sent.failed > 0 ? ` (${sent.failed} sends failed)` : '',
        ].join(' '),
      )
    }
  } finally {
    await Promise.all([...listeners, sender].map((child) => child.stop()))
  }
  return rows
}

function percentile(sorted: number[], fraction: number): string {
  if (sorted.length === 0) return '-'
  const index = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)
  return (sorted[Math.max(0, index)] as number).toFixed(2)
}

function bounded(name: string, text: string | undefined, min: number, max: number): number {
  const value = Number(text)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `--${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(text)}.`,
    )
  }
  return value
}

const kinds = values.layers.split(',').map((kind) => kind.trim())
for (const kind of kinds) {
  if (kind !== 'core' && kind !== 'pubsub')
    throw new RangeError(`Unknown layer ${JSON.stringify(kind)}.`)
}
console.log(
  `Group fan-out over ${values.url}: ${receivers} receiver processes × ${channels} channels = ${receivers * channels} members; 1 sender process; Node ${process.version}.`,
)
for (const kind of kinds as Array<LayerSpec['kind']>) {
  for (const row of await runLayer(kind)) console.log(row)
}

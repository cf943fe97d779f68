import type { Job } from '../load/jobs.js'
import type { Target } from '../load/protocols.js'
import type { BenchConfig } from './config.js'

/** What a scenario measures, and in which unit. */
export type ScenarioKind = 'echo' | 'broadcast' | 'connect'

/** One scenario, ready to be turned into a generator job for a server's targets. */
export type ScenarioSpec = {
  /** Stable id, the same in smoke and full runs: `echo-64B-50x1`, `broadcast-burst`, `connect-idle`... */
  id: string
  title: string
  kind: ScenarioKind
  unit: 'msg/s' | 'deliveries/s' | 'conn/s'
  /** The parameters actually used in this run. */
  parameters: Record<string, number>
  /** The job for `targets` (two targets: the cross-process variant, sender on the first). */
  job(targets: Target[]): Job
}

function sizeLabel(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024}KiB` : `${bytes}B`
}

function only<T>(items: T[]): T {
  const [first] = items
  if (first === undefined) throw new TypeError('A scenario needs at least one target.')
  return first
}

/** Every scenario of a run, in the order they run on each server (memory first, on a fresh server). */
export function scenarioSpecs(config: BenchConfig): ScenarioSpec[] {
  const timing = {
    warmupMs: config.warmupMs,
    durationMs: config.durationMs,
    drainMs: config.drainMs,
    connectTimeoutMs: config.connectTimeoutMs,
  }
  const specs: ScenarioSpec[] = [
    {
      id: 'connect-idle',
      title: `connection setup, then idle memory at ${config.idleConnections} connections`,
      kind: 'connect',
      unit: 'conn/s',
      parameters: { connections: config.idleConnections, concurrency: config.connectConcurrency },
      job: (targets) => ({
        kind: 'connect',
        target: only(targets),
        connections: config.idleConnections,
        concurrency: config.connectConcurrency,
        hold: true,
        timeLimitMs: Math.max(20_000, config.idleConnections * 10),
        connectTimeoutMs: config.connectTimeoutMs,
      }),
    },
  ]
  const fullShapes = ['50x1', '200x10']
  for (const bytes of config.echoSizes) {
    for (const [index, shape] of config.echoShapes.entries()) {
      specs.push({
        id: `echo-${sizeLabel(bytes)}-${fullShapes[index] ?? `${shape.clients}x${shape.inFlight}`}`,
        title: `echo, ${shape.clients} clients x ${shape.inFlight} in flight, ${sizeLabel(bytes)}`,
        kind: 'echo',
        unit: 'msg/s',
        parameters: { clients: shape.clients, inFlight: shape.inFlight, payloadBytes: bytes },
        job: (targets) => ({
          kind: 'echo',
          target: only(targets),
          ...shape,
          payloadBytes: bytes,
          timing,
        }),
      })
    }
  }
  for (const [id, burstSize] of [
    ['broadcast-paced', 1],
    ['broadcast-burst', config.burstSize],
  ] as const) {
    specs.push({
      id,
      title: `broadcast to ${config.receivers} receivers, ${burstSize === 1 ? 'one message at a time' : `bursts of ${burstSize}`}`,
      kind: 'broadcast',
      unit: 'deliveries/s',
      parameters: { receivers: config.receivers, burstSize, payloadBytes: 64 },
      job: (targets) => {
        const sender = only(targets)
        const share = Math.ceil(config.receivers / targets.length)
        const receivers = targets.map((target, index) => ({
          target,
          count: Math.min(share, config.receivers - share * index),
        }))
        return {
          kind: 'broadcast',
          sender,
          receivers,
          burstSize,
          payloadBytes: 64,
          deliveryTimeoutMs: config.deliveryTimeoutMs,
          timing,
        }
      },
    })
  }
  return specs
}

import type { ChannelLayer } from '@node-channels/core'
import { RedisChannelLayer, RedisPubSubChannelLayer } from '../src/index.js'

/** Which layer a benchmark process builds, on which Redis and prefix. */
export interface LayerSpec {
  kind: 'core' | 'pubsub'
  url: string
  prefix: string
}

/** One measured phase: `count` group sends, paced `paceMs` apart or with `window` sends in flight. */
export interface Phase {
  name: 'latency' | 'throughput'
  count: number
  paceMs: number
  window: number
}

/** Parent -> child messages. */
export type Command =
  | { op: 'start'; spec: LayerSpec; group: string; channels: number }
  | { op: 'phase'; phase: Phase; expected: number; timeoutMs: number }
  | { op: 'stop' }

/** Child -> parent messages. */
export type Report =
  | { op: 'ready' }
  | { op: 'sent'; phase: string; startedAt: number; endedAt: number; failed: number }
  | { op: 'received'; phase: string; latenciesMs: number[]; lastAt: number; complete: boolean }

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on one host. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now()
}

/** Builds the layer under test; capacity is raised so a flood measures throughput, not drops. */
export function makeLayer(spec: LayerSpec): ChannelLayer {
  const options = { hosts: spec.url, prefix: spec.prefix, capacity: 100_000 }
  return spec.kind === 'core'
    ? new RedisChannelLayer(options)
    : new RedisPubSubChannelLayer(options)
}

/** Sends a report to the parent process. */
export function report(message: Report): void {
  process.send?.(message)
}

/** Handles the parent's commands one at a time, in order. */
export function onCommands(handle: (command: Command) => Promise<void>): void {
  let chain = Promise.resolve()
  process.on('message', (command: Command) => {
    chain = chain
      .then(() => handle(command))
      .catch((error: unknown) => {
        console.error(error)
        process.exit(1)
      })
  })
}

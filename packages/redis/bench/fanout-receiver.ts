// A receiver process: K channels of one layer in one group, each with a receive loop, timing
// every delivery from the sender's timestamp in the message.
import { setMaxListeners } from 'node:events'
import type { ChannelLayer } from '@node-channels/core'
import { type Command, makeLayer, nowMs, onCommands, report } from './fanout-common.js'

let layer: ChannelLayer | null = null
let channels: string[] = []
const stopping = new AbortController()
// Every channel's pending receive listens on this one signal.
setMaxListeners(0, stopping.signal)
let current: {
  phase: string
  expected: number
  latencies: number[]
  lastAt: number
  done: () => void
} | null = null

async function receiveLoop(active: ChannelLayer, channel: string): Promise<void> {
  for (;;) {
    let message: Record<string, unknown>
    try {
      message = await active.receive(channel, { signal: stopping.signal })
    } catch {
      return
    }
    const phase = current
    if (!phase || message.phase !== phase.phase) continue
    const at = nowMs()
    phase.latencies.push(at - (message.sentAt as number))
    phase.lastAt = at
    if (phase.latencies.length === phase.expected) phase.done()
  }
}

onCommands(async (command: Command) => {
  if (command.op === 'start') {
    const active = makeLayer(command.spec)
    layer = active
    for (let index = 0; index < command.channels; index++) channels.push(await active.newChannel())
    for (const channel of channels) await active.groupAdd(command.group, channel)
    for (const channel of channels) void receiveLoop(active, channel)
    report({ op: 'ready' })
  } else if (command.op === 'phase') {
    const latencies: number[] = []
    let complete = false
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, command.timeoutMs)
      current = {
        phase: command.phase.name,
        expected: command.expected,
        latencies,
        lastAt: 0,
        done: () => {
          complete = true
          clearTimeout(timer)
          resolve()
        },
      }
      report({ op: 'ready' })
    })
    const lastAt = current?.lastAt ?? 0
    current = null
    report({ op: 'received', phase: command.phase.name, latenciesMs: latencies, lastAt, complete })
  } else {
    stopping.abort()
    await layer?.close()
    channels = []
    process.exit(0)
  }
})

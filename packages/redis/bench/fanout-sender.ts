// The sender process: groupSend to the group, paced (latency phase) or with a window of sends
// in flight (throughput phase). Each message carries its phase and send time.
import type { ChannelLayer } from '@node-channels/core'
import { type Command, makeLayer, nowMs, onCommands, type Phase, report } from './fanout-common.js'

let layer: ChannelLayer | null = null
let group = ''
const PAYLOAD = 'x'.repeat(200)

async function run(active: ChannelLayer, phase: Phase): Promise<void> {
  const startedAt = nowMs()
  let failed = 0
  const send = (seq: number) =>
    active
      .groupSend(group, {
        type: 'bench.message',
        phase: phase.name,
        seq,
        sentAt: nowMs(),
        text: PAYLOAD,
      })
      .catch(() => {
        failed++
      })
  if (phase.paceMs > 0) {
    for (let seq = 0; seq < phase.count; seq++) {
      await send(seq)
      await new Promise((resolve) => setTimeout(resolve, phase.paceMs))
    }
  } else {
    let next = 0
    const worker = async () => {
      while (next < phase.count) await send(next++)
    }
    await Promise.all(Array.from({ length: phase.window }, worker))
  }
  report({ op: 'sent', phase: phase.name, startedAt, endedAt: nowMs(), failed })
}

onCommands(async (command: Command) => {
  if (command.op === 'start') {
    layer = makeLayer(command.spec)
    group = command.group
    report({ op: 'ready' })
  } else if (command.op === 'phase') {
    if (layer) await run(layer, command.phase)
  } else {
    await layer?.flush()
    await layer?.close()
    process.exit(0)
  }
})

import { performance } from 'node:perf_hooks'
import type { Connection } from '../connection.js'
import { clientFrame } from '../frames.js'
import type { BroadcastJob, WorkerReport } from '../jobs.js'
import { closeAll, openMany } from '../pool.js'
import { appMessage, padPayload } from '../protocols.js'
import { Tally } from '../tally.js'
import { type Control, delay, until } from './control.js'

const OPEN_CONCURRENCY = 50
/** The window is stretched (up to this many times its length) until it has measured enough. */
const WINDOW_STRETCH = 4
const COLON = 0x3a

/**
 * Group broadcast. Each payload is `<seq>:<sent µs>:xxx…`; every receiver parses it, so the
 * fan-out latency of each delivery is measured in this one process's clock. A cycle publishes
 * `burstSize` messages in one write and ends when every receiver has every one of them.
 */
export async function runBroadcast(job: BroadcastJob, control: Control): Promise<WorkerReport> {
  const tally = new Tally()
  const { timing } = job
  const receivers: Connection[] = []
  for (const group of job.receivers) {
    const opened = await openMany({
      target: group.target,
      route: 'broadcast',
      count: group.count,
      concurrency: OPEN_CONCURRENCY,
      connectTimeoutMs: timing.connectTimeoutMs,
      timeLimitMs: timing.connectTimeoutMs * 4,
      tally,
    })
    receivers.push(...opened)
  }
  const [sender] = await openMany({
    target: job.sender,
    route: 'broadcast',
    count: 1,
    concurrency: 1,
    connectTimeoutMs: timing.connectTimeoutMs,
    timeLimitMs: timing.connectTimeoutMs,
    tally,
  })
  const cycle = { firstSeq: 0, nextSeq: 0, outstanding: 0, completed: 0, done: (): void => {} }
  let closing = false
  const onDelivery = (buffer: Buffer, start: number, end: number, nowMs: number): void => {
    let index = start
    let seq = 0
    let sentMicros = 0
    for (let byte = buffer[index]; byte !== COLON && index < end; byte = buffer[++index])
      seq = seq * 10 + (byte ?? 0) - 48
    for (let byte = buffer[++index]; byte !== COLON && index < end; byte = buffer[++index])
      sentMicros = sentMicros * 10 + (byte ?? 0) - 48
    if (end - start !== job.payloadBytes || index >= end) {
      tally.error(`A delivery was not a ${job.payloadBytes}-byte broadcast payload.`)
      return
    }
    if (tally.measuring) {
      tally.messages++
      tally.latency.record(nowMs * 1000 - sentMicros)
    }
    if (seq >= cycle.firstSeq && seq < cycle.nextSeq && --cycle.outstanding === 0) cycle.done()
  }
  for (const receiver of receivers) {
    receiver.onMessage = onDelivery
    receiver.onEnd = (reason, error) => {
      if (error && !closing) tally.error(`A receiver ended: ${reason}.`)
    }
  }
  control.signal({ type: 'prepared' })
  await control.waitFor('go', timing.connectTimeoutMs * 10)
  if (sender === undefined || receivers.length === 0) {
    tally.error('The broadcast needs a sender and at least one receiver.')
    await closeAll(receivers)
    return tally.report(receivers.length)
  }
  sender.onEnd = (reason, error) => {
    if (error && !closing) tally.error(`The sender ended: ${reason}.`)
  }
  const runCycle = (): Promise<void> => {
    const frames: Buffer[] = []
    cycle.firstSeq = cycle.nextSeq
    for (let k = 0; k < job.burstSize; k++) {
      const head = `${cycle.nextSeq++}:${Math.round(performance.now() * 1000)}:`
      frames.push(
        clientFrame(
          appMessage(job.sender.protocol, 'broadcast', padPayload(head, job.payloadBytes)),
        ),
      )
    }
    cycle.outstanding = job.burstSize * receivers.filter((receiver) => !receiver.ended).length
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        tally.error(
          `${cycle.outstanding} deliveries were missing ${job.deliveryTimeoutMs} ms after a cycle was sent.`,
          cycle.outstanding,
        )
        cycle.firstSeq = cycle.nextSeq
        resolve()
      }, job.deliveryTimeoutMs)
      cycle.done = () => {
        cycle.completed++
        clearTimeout(timer)
        resolve()
      }
      sender.write(frames.length === 1 ? (frames[0] as Buffer) : Buffer.concat(frames))
    })
  }
  let windowClosed = false
  const run = (async () => {
    while (!windowClosed && !sender.ended) await runCycle()
  })()
  await delay(timing.warmupMs)
  // Warm-up lasts at least until one whole cycle has been delivered (bounded).
  await until(() => cycle.completed > 0, timing.warmupMs * WINDOW_STRETCH * 4)
  tally.start()
  control.signal({ type: 'window-start' })
  await delay(timing.durationMs)
  // A server too slow to answer within the window gets a longer one (bounded), not a zero.
  await until(
    () => tally.messages >= job.burstSize * receivers.length,
    timing.durationMs * WINDOW_STRETCH,
  )
  tally.stop()
  windowClosed = true
  control.signal({ type: 'window-end' })
  const finished = await Promise.race([
    run.then(() => true),
    delay(timing.drainMs).then(() => false),
  ])
  if (!finished)
    tally.error(
      `The last broadcast cycle was still incomplete ${timing.drainMs} ms after the window.`,
    )
  closing = true
  await closeAll([...receivers, sender])
  return tally.report(receivers.length)
}

import type { FromWorker, Job, ToWorker, WorkerReport } from './jobs.js'
import { runBroadcast } from './scenarios/broadcast.js'
import { runConnect } from './scenarios/connect.js'
import type { Control } from './scenarios/control.js'
import { runEcho } from './scenarios/echo.js'

/**
 * A load-generator process: started by the coordinator (pinned to its own core), it receives
 * one job over IPC, reports `prepared`, runs on `go`, sends its report and exits.
 */
function send(message: FromWorker): void {
  process.send?.(message)
}

const waiters = new Map<string, () => void>()
const arrived = new Set<string>()

const control: Control = {
  signal: send,
  waitFor(type, timeoutMs) {
    if (arrived.has(type)) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`The coordinator sent no ${JSON.stringify(type)} within ${timeoutMs} ms.`),
          ),
        timeoutMs,
      )
      waiters.set(type, () => {
        clearTimeout(timer)
        resolve()
      })
    })
  },
}

function run(job: Job): Promise<WorkerReport> {
  if (job.kind === 'echo') return runEcho(job, control)
  if (job.kind === 'broadcast') return runBroadcast(job, control)
  return runConnect(job, control)
}

if (process.send === undefined) {
  console.error(
    'The load-generator worker must be started by the coordinator, with an IPC channel.',
  )
  process.exit(2)
}

process.on('message', (message: ToWorker) => {
  if (message.type === 'job') {
    run(message.job).then(
      (report) => {
        send({ type: 'report', report })
        process.disconnect()
      },
      (error: unknown) => {
        send({ type: 'failed', message: error instanceof Error ? error.message : String(error) })
        process.disconnect()
      },
    )
    return
  }
  arrived.add(message.type)
  waiters.get(message.type)?.()
})
process.on('disconnect', () => {
  // Nothing is left to do once the coordinator has the report (or has gone away).
  setImmediate(() => process.exit(0))
})

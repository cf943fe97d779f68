import type { FromWorker } from '../jobs.js'

/** How a scenario talks to its coordinator. */
export type Control = {
  /** Sends an event to the coordinator. */
  signal(message: FromWorker): void
  /** Resolves when the coordinator sends `type` (rejects after `timeoutMs`). */
  waitFor(type: 'go' | 'release', timeoutMs: number): Promise<void>
}

/** Resolves after `ms` (used for the fixed warm-up and measurement windows only). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Resolves when `done()` returns true (checked every `everyMs`) or after `timeoutMs`; says which. */
export async function until(done: () => boolean, timeoutMs: number, everyMs = 5): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() >= deadline) return false
    await delay(everyMs)
  }
  return true
}

// Helpers for tests that run `node-channels` (and other programs) as child processes.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { onTestFinished } from 'vitest'

const SERVER_DIR = fileURLToPath(new URL('../../packages/server/', import.meta.url))
const TSX_TSCONFIG = fileURLToPath(new URL('../fixtures/tsconfig.json', import.meta.url))

/** A child process, everything it printed, and waits on both. */
export interface CliProcess {
  child: ChildProcess
  output(): string
  /** Resolves with the first match of `pattern` in the output (stdout and stderr), within `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>
}

/**
 * Runs `node --import tsx packages/server/src/cli.ts <args>` with every package mapped to its
 * sources, so no build is needed. The process is killed when the test ends, if still running.
 */
export function runCli(args: string[], env: Record<string, string | undefined> = {}): CliProcess {
  const merged: NodeJS.ProcessEnv = { ...process.env, TSX_TSCONFIG_PATH: TSX_TSCONFIG }
  delete merged.CHANNEL_LAYER_URL
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete merged[name]
    else merged[name] = value
  }
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: SERVER_DIR,
    env: merged,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const waiters = new Set<() => void>()
  const onData = (chunk: Buffer): void => {
    output += chunk.toString('utf8')
    for (const wake of [...waiters]) wake()
  }
  child.stdout?.on('data', onData)
  child.stderr?.on('data', onData)
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown')
      for (const wake of [...waiters]) wake()
    }),
  )
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  const waitFor = (pattern: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check)
        reject(new Error(`No output matching ${pattern} within ${timeoutMs} ms:\n${output}`))
      }, timeoutMs)
      const check = (): void => {
        const match = pattern.exec(output)
        if (match) {
          clearTimeout(timer)
          waiters.delete(check)
          resolve(match)
        } else if (child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(timer)
          waiters.delete(check)
          reject(new Error(`The process exited before printing ${pattern}:\n${output}`))
        }
      }
      waiters.add(check)
      check()
    })
  return { child, output: () => output, waitFor, exited }
}

/** Resolves with the exit code once the process exits, failing after `timeoutMs`. */
export async function exitOf(cli: CliProcess, timeoutMs = 15_000): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`The process did not exit within ${timeoutMs} ms:\n${cli.output()}`)),
      timeoutMs,
    )
  })
  try {
    return await Promise.race([cli.exited, timeout])
  } finally {
    clearTimeout(timer)
  }
}

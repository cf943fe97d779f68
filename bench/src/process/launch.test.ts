import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

/** The built module: the runner below is a plain Node process, which cannot load TypeScript. */
const LAUNCH_MODULE = fileURLToPath(new URL('../../dist/process/launch.js', import.meta.url))

/** Whether a process with this id still exists. */
function exists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('launch', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'kills what it launched when the benchmark is stopped by %s, then ends by that signal',
    async (signal) => {
      const program = `
        import { launch } from ${JSON.stringify(LAUNCH_MODULE)}
        const server = await launch({
          name: 'idle',
          argv: [process.execPath, '-e', "console.log('ready'); setInterval(() => {}, 1000)"],
          cpus: null,
          minOpenFiles: 0,
          readyPattern: /^ready$/,
          port: 1,
          collectsGarbage: false,
          startTimeoutMs: 10000,
        })
        console.log('launched ' + server.pid)
        setInterval(() => {}, 1000)
      `
      const runner = spawn(process.execPath, ['--input-type=module', '-e', program], {
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      const pid = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('The runner launched nothing.')), 10_000)
        let output = ''
        runner.stdout.setEncoding('utf8').on('data', (text: string) => {
          output += text
          const match = /launched (\d+)/.exec(output)
          if (match !== null) {
            clearTimeout(timer)
            resolve(Number(match[1]))
          }
        })
      })
      expect(exists(pid)).toBe(true)
      const ended = new Promise<NodeJS.Signals | null>((resolve) =>
        runner.once('exit', (_code, by) => resolve(by)),
      )
      runner.kill(signal)
      expect(await ended).toBe(signal)
      // SIGKILL is delivered at once, but the process table may take a moment to drop it.
      for (let waited = 0; exists(pid) && waited < 5_000; waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      expect(exists(pid)).toBe(false)
    },
    20_000,
  )
})

import { type ChildProcess, spawn } from 'node:child_process'
import { pinnedCommand } from './pinned.js'
import { cpuSplitMs, cpuTimeMs, residentBytes } from './proc-stats.js'

/** How to start one server process. */
export type LaunchSpec = {
  /** A short name for messages. */
  name: string
  argv: string[]
  cwd?: string
  env?: Record<string, string>
  /** The taskset CPU list, or null for unpinned. */
  cpus: string | null
  minOpenFiles: number
  /** Matches the line that says the program is listening; its first group is the port, if any. */
  readyPattern: RegExp
  /** The port, when the program was told one rather than announcing it. */
  port?: number
  /** Whether the program answers SIGUSR2 with a garbage collection and a `GC` line. */
  collectsGarbage: boolean
  startTimeoutMs: number
}

const OUTPUT_LINES_KEPT = 20

/** Every process launched and not yet exited. */
const live = new Set<ChildProcess>()
let guarding = false

/**
 * Makes the launched processes end with the benchmark: killed when it exits, and when it is
 * stopped by SIGINT, SIGTERM or SIGHUP (the signal is then raised again, so the benchmark
 * still ends as that signal ends it). A benchmark killed alone would otherwise leave its
 * servers and its Redis running.
 */
function guardLaunched(): void {
  if (guarding) return
  guarding = true
  const killAll = (): void => {
    for (const child of live) child.kill('SIGKILL')
  }
  process.on('exit', killAll)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll()
      process.kill(process.pid, signal)
    })
  }
}

/** A running server process. */
export class LaunchedServer {
  readonly name: string
  readonly port: number
  readonly #child: ChildProcess
  readonly #collectsGarbage: boolean
  readonly #output: string[]
  #gcWaiter: (() => void) | null = null
  #heapBytes: number | null = null
  #youngBytes: number | null = null

  constructor(
    name: string,
    port: number,
    child: ChildProcess,
    output: string[],
    collectsGarbage: boolean,
  ) {
    this.name = name
    this.port = port
    this.#child = child
    this.#output = output
    this.#collectsGarbage = collectsGarbage
  }

  /** The process id (taskset and prlimit exec the program, so this is the server itself). */
  get pid(): number {
    return this.#child.pid ?? -1
  }

  /** Whether the process is still running. */
  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null
  }

  /** The last lines the program printed, for error messages. */
  get recentOutput(): string {
    return this.#output.join('\n')
  }

  /** V8 heap used plus external memory at the last `residentBytes()` (null unless the program reports it). */
  get heapBytes(): number | null {
    return this.#heapBytes
  }

  /** What V8's young generation had reserved at the last `residentBytes()` (null unless the program reports it). */
  get youngBytes(): number | null {
    return this.#youngBytes
  }

  /** CPU milliseconds used so far. */
  cpuTimeMs(): number {
    return cpuTimeMs(this.pid)
  }

  /** CPU time so far in user and kernel mode, in milliseconds (10 ms steps; see `cpuSplitMs`). */
  cpuSplitMs(): { userMs: number; kernelMs: number } {
    return cpuSplitMs(this.pid)
  }

  /** Resident memory in bytes, after a full garbage collection when the program supports one. */
  async residentBytes(timeoutMs = 5_000): Promise<number> {
    if (this.#collectsGarbage) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`${this.name} did not answer the GC request within ${timeoutMs} ms.`)),
          timeoutMs,
        )
        this.#gcWaiter = () => {
          clearTimeout(timer)
          resolve()
        }
        this.#child.kill('SIGUSR2')
      })
    }
    return residentBytes(this.pid)
  }

  /** Called for each output line. */
  onLine(line: string): void {
    if (line.startsWith('GC ')) {
      const heap = JSON.parse(line.slice(3)) as {
        heapUsed?: unknown
        external?: unknown
        youngGeneration?: unknown
      }
      if (typeof heap.heapUsed === 'number' && typeof heap.external === 'number') {
        this.#heapBytes = heap.heapUsed + heap.external
      }
      if (typeof heap.youngGeneration === 'number') this.#youngBytes = heap.youngGeneration
      this.#gcWaiter?.()
      this.#gcWaiter = null
    }
  }

  /** Stops the server: SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 3_000): Promise<void> {
    if (!this.running) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs)
      this.#child.once('exit', () => {
        clearTimeout(timer)
        resolve()
      })
      this.#child.kill('SIGTERM')
    })
  }
}

/** Starts a server process and resolves once it has announced its port. */
export function launch(spec: LaunchSpec): Promise<LaunchedServer> {
  const { command, args } = pinnedCommand(spec.argv, spec.cpus, spec.minOpenFiles)
  const child = spawn(command, args, {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  guardLaunched()
  live.add(child)
  child.once('exit', () => live.delete(child))
  const output: string[] = []
  return new Promise<LaunchedServer>((resolve, reject) => {
    let server: LaunchedServer | null = null
    const fail = (reason: string): void => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(
        new Error(
          `${spec.name} did not start: ${reason}.${output.length > 0 ? `\n${output.join('\n')}` : ''}`,
        ),
      )
    }
    const timer = setTimeout(
      () => fail(`no port announced within ${spec.startTimeoutMs} ms`),
      spec.startTimeoutMs,
    )
    const onLine = (line: string): void => {
      output.push(line)
      if (output.length > OUTPUT_LINES_KEPT) output.shift()
      if (server !== null) {
        server.onLine(line)
        return
      }
      const match = spec.readyPattern.exec(line)
      if (match !== null) {
        clearTimeout(timer)
        server = new LaunchedServer(
          spec.name,
          Number(match[1] ?? spec.port),
          child,
          output,
          spec.collectsGarbage,
        )
        resolve(server)
      }
    }
    for (const stream of [child.stdout, child.stderr]) {
      let partial = ''
      stream?.setEncoding('utf8')
      stream?.on('data', (text: string) => {
        const lines = (partial + text).split('\n')
        partial = lines.pop() ?? ''
        for (const line of lines) onLine(line)
      })
    }
    child.once('error', (error) => fail(error.message))
    child.once('exit', (code, signal) => {
      if (server === null) fail(`it exited with ${signal ?? code}`)
    })
  })
}

import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A free TCP port on 127.0.0.1: bind port 0, read the port, release it. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (typeof address !== 'object' || address === null) throw new Error('No port was assigned.')
  return address.port
}

/**
 * A redis-server of our own on a free port, without persistence, that a test may stop and
 * restart (never the shared one on 6379).
 */
export class PrivateRedis {
  readonly port: number
  readonly #dir = mkdtempSync(join(tmpdir(), 'nc-redis-'))
  readonly #extraArgs: readonly string[]
  #process: ChildProcess | null = null

  private constructor(port: number, extraArgs: readonly string[]) {
    this.port = port
    this.#extraArgs = extraArgs
  }

  /**
   * Starts a server on a free port, with `extraArgs` after ours (such as
   * `--rename-command ZINTERCARD ""`), and resolves once it accepts connections.
   */
  static async start(extraArgs: readonly string[] = []): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), extraArgs)
    await redis.restart()
    return redis
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  /** (Re)starts the server on the same port; resolves when it logs that it is ready (at most 10 s). */
  async restart(): Promise<void> {
    if (this.#process) throw new Error('The private Redis is already running.')
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.#dir,
        ...this.#extraArgs,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    this.#process = child
    let output = ''
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`redis-server did not start: ${output}`)),
        10_000,
      )
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer)
          resolve()
        }
      })
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`redis-server exited with ${code}: ${output}`))
      })
    })
  }

  /** Stops the server (SIGKILL: Redis dies mid-stream) and waits until it has exited. */
  async stop(): Promise<void> {
    const child = this.#process
    if (!child) return
    this.#process = null
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }

  /** Stops the server and removes its directory. */
  async dispose(): Promise<void> {
    await this.stop()
    rmSync(this.#dir, { recursive: true, force: true })
  }
}

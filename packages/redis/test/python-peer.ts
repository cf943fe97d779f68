import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const SCRIPT = fileURLToPath(new URL('./python-peer.py', import.meta.url))
const SAFE = BigInt(Number.MAX_SAFE_INTEGER)

/**
 * The first Python with Debian's channels_redis: `/usr/bin/python3` first, because the `python3`
 * on PATH may be a pyenv build without Debian's packages. Null when there is none.
 */
export function findPython(): { python: string; version: string } | null {
  for (const python of ['/usr/bin/python3', 'python3']) {
    const probe = spawnSync(
      python,
      ['-c', 'import channels_redis, msgpack, cryptography; print(channels_redis.__version__)'],
      {
        encoding: 'utf8',
        timeout: 10_000,
      },
    )
    if (probe.status === 0) return { python, version: probe.stdout.trim() }
  }
  return null
}

/** Values as the peer's JSON carries them: bytes and big integers tagged. */
export function toPeerJson(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') }
  if (typeof value === 'bigint') return { $int: value.toString() }
  if (Array.isArray(value)) return value.map(toPeerJson)
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toPeerJson(item)]))
  }
  return value
}

/** The inverse of `toPeerJson`: bytes become Uint8Array, tagged integers bigint (or number when safe). */
export function fromPeerJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromPeerJson)
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>
    const keys = Object.keys(record)
    if (keys.length === 1 && typeof record.$bytes === 'string') {
      return new Uint8Array(Buffer.from(record.$bytes, 'base64'))
    }
    if (keys.length === 1 && typeof record.$int === 'string') {
      const big = BigInt(record.$int)
      return big >= -SAFE && big <= SAFE ? Number(big) : big
    }
    return Object.fromEntries(
      Object.entries(record).map(([key, item]) => [key, fromPeerJson(item)]),
    )
  }
  return value
}

interface Answer {
  id: number
  ok: boolean
  result?: unknown
  error?: string
}

/** A running python-peer.py: one channels_redis layer in its own Python process. */
export class PythonPeer {
  readonly #child: ChildProcessWithoutNullStreams
  readonly #pending = new Map<number, (answer: Answer) => void>()
  readonly #stderr: string[] = []
  #nextId = 1
  /** What the peer printed first: channels_redis' version and whether a shim is in use. */
  readonly hello: Promise<{ version: string; shim: string | null }>

  constructor(
    python: string,
    options: { layer: 'core' | 'pubsub'; hosts: string[]; prefix: string; keys?: string[] },
  ) {
    const args = [SCRIPT, '--layer', options.layer, '--prefix', options.prefix]
    for (const host of options.hosts) args.push('--host', host)
    for (const key of options.keys ?? []) args.push('--key', key)
    this.#child = spawn(python, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    this.#child.stderr.setEncoding('utf8').on('data', (chunk: string) => this.#stderr.push(chunk))
    const lines = createInterface({ input: this.#child.stdout })
    this.hello = new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`The Python peer did not start: ${this.stderr}`)),
        15_000,
      )
      this.#child.once('exit', (code) =>
        reject(new Error(`The Python peer exited with ${code}: ${this.stderr}`)),
      )
      lines.on('line', (line) => {
        const parsed = JSON.parse(line) as Answer & {
          ready?: boolean
          version: string
          shim: string | null
        }
        if (parsed.ready) {
          clearTimeout(timer)
          resolve({ version: parsed.version, shim: parsed.shim })
          return
        }
        this.#pending.get(parsed.id)?.(parsed)
        this.#pending.delete(parsed.id)
      })
    })
    // A failed start is reported through `hello`; keep it from being an unhandled rejection meanwhile.
    this.hello.catch(() => {})
  }

  /** What the peer wrote to stderr so far (Python tracebacks). */
  get stderr(): string {
    return this.#stderr.join('')
  }

  /** Runs one command; rejects with the peer's error, or after `timeoutMs` without an answer. */
  async request(
    op: string,
    fields: Record<string, unknown> = {},
    timeoutMs = 10_000,
  ): Promise<unknown> {
    await this.hello
    const id = this.#nextId++
    const answer = await new Promise<Answer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        reject(
          new Error(`The Python peer did not answer ${op} within ${timeoutMs} ms. ${this.stderr}`),
        )
      }, timeoutMs)
      this.#pending.set(id, (value) => {
        clearTimeout(timer)
        resolve(value)
      })
      this.#child.stdin.write(`${JSON.stringify({ id, op, ...fields })}\n`)
    })
    if (!answer.ok) throw new Error(`Python ${op} failed: ${answer.error}`)
    return answer.result
  }

  /** Closes stdin so the peer shuts its layer down, and waits (at most 5 s) for it to exit. */
  async close(): Promise<void> {
    if (this.#child.exitCode !== null) return
    const exited = new Promise((resolve) => this.#child.once('exit', resolve))
    this.#child.stdin.end()
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
}

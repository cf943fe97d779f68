// Test helpers: chat server processes and WebSocket clients talking to them.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { onTestFinished } from 'vitest'
import { WebSocket } from 'ws'
import type { ServerMessage } from './protocol.js'

/** The built chat entry point; the tests run it as `node dist/main.js`. */
export const MAIN_JS: string = fileURLToPath(new URL('../dist/main.js', import.meta.url))
/** The chat's directory, the working directory of spawned processes. */
export const CHAT_DIR: string = fileURLToPath(new URL('..', import.meta.url))

/** Fails with a clear message when the chat has not been built (`pnpm test` builds first). */
export function requireBuild(): void {
  if (!existsSync(MAIN_JS)) {
    throw new Error(
      `${MAIN_JS} is missing: build with \`pnpm exec tsc -b\` before running this test.`,
    )
  }
}

/** A running server process, its URL once it listens, and everything it printed. */
export interface ServerProcess {
  child: ChildProcess
  url: string
  output(): string
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<number | string>
}

/**
 * Spawns `node <args>` and waits (at most 20 s) for it to print an http:// URL. The process
 * is killed when the test finishes if it is still running.
 */
export async function startProcess(
  args: string[],
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const child = spawn(process.execPath, args, {
    cwd: CHAT_DIR,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  )
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`No URL printed within 20 s by node ${args.join(' ')}:\n${output}`)),
      20_000,
    )
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8')
      const match = /(http:\/\/[\d.:[\]]+)\/?\s/.exec(output)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1])
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.on('exit', () => {
      clearTimeout(timer)
      reject(new Error(`node ${args.join(' ')} exited before listening:\n${output}`))
    })
  })
  return { child, url, output: () => output, exited }
}

/** Runs `node <args>` to completion (at most 20 s): exit code and output. */
export async function runProcess(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, args, {
    cwd: CHAT_DIR,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8')
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  clearTimeout(timer)
  return { code, stdout, stderr }
}

/** A browser-like WebSocket chat client with a queue of parsed server messages. */
export class ChatSocket {
  readonly socket: WebSocket
  readonly #queue: ServerMessage[] = []
  readonly #waiters: Array<() => void> = []
  closeCode: number | null = null

  private constructor(socket: WebSocket) {
    this.socket = socket
    socket.on('message', (data) => {
      this.#queue.push(JSON.parse(String(data)) as ServerMessage)
      for (const wake of this.#waiters.splice(0)) wake()
    })
    socket.on('close', (code) => {
      this.closeCode = code
      for (const wake of this.#waiters.splice(0)) wake()
    })
  }

  /** Opens `/ws/chat/<room>/` on the server at `url`, with `origin` (default: same-origin). */
  static async open(url: string, room: string, origin: string = url): Promise<ChatSocket> {
    const socket = new WebSocket(`${url.replace('http', 'ws')}/ws/chat/${room}/`, {
      headers: { origin },
    })
    socket.on('error', () => undefined) // surfaced as a failed open or a close code
    onTestFinished(() => socket.terminate())
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve())
      socket.once('unexpected-response', (_req, res) =>
        reject(new Error(`The WebSocket handshake was answered ${res.statusCode}.`)),
      )
      socket.once('error', reject)
    })
    return new ChatSocket(socket)
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify(message))
  }

  /** The next message, waiting at most `timeoutMs`. */
  async next(timeoutMs = 5000): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const message = this.#queue.shift()
      if (message) return message
      if (this.closeCode !== null) throw new Error(`The socket closed with ${this.closeCode}.`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`No message within ${timeoutMs} ms.`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  /** Reads (at most 50) messages until `accept` takes one; returns it. */
  async until<T extends ServerMessage>(
    accept: (message: ServerMessage) => message is T,
    timeoutMs?: number,
  ): Promise<T>
  async until(
    accept: (message: ServerMessage) => boolean,
    timeoutMs?: number,
  ): Promise<ServerMessage>
  async until(
    accept: (message: ServerMessage) => boolean,
    timeoutMs = 5000,
  ): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs
    for (let read = 0; read < 50; read += 1) {
      const message = await this.next(Math.max(1, deadline - Date.now()))
      if (accept(message)) return message
    }
    throw new Error('No matching message among the next 50.')
  }

  /** Waits until the member list is exactly `nicknames`. */
  membersBecome(nicknames: string[], timeoutMs = 5000): Promise<ServerMessage> {
    const wanted = JSON.stringify(nicknames)
    return this.until(
      (message) =>
        message.type === 'members' &&
        JSON.stringify(message.members.map((member) => member.nickname)) === wanted,
      timeoutMs,
    )
  }
}

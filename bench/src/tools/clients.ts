import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** The built clients-process.js beside this module. */
export const CLIENTS_SCRIPT: string = fileURLToPath(
  new URL('./clients-process.js', import.meta.url),
)

/** Clients that are open, and a way to wait for each round's deliveries. */
export type Clients = { nextRound(timeoutMs: number): Promise<void>; stop(): void }

/**
 * Starts the clients' process (clients-process.ts) with `args` (`<port> <clients> <per-round>
 * [path] [origin]`); resolves once its clients are open, rejects when it fails or says
 * nothing within 30 s.
 */
export async function startClients(
  script: string,
  args: ReadonlyArray<string | number>,
): Promise<Clients> {
  const child = spawn(process.execPath, [script, ...args.map(String)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout })
  const waiting: Array<(line: string) => void> = []
  const pending: string[] = []
  lines.on('line', (line) => {
    const next = waiting.shift()
    if (next === undefined) pending.push(line)
    else next(line)
  })
  const exited = new Promise<never>((_resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`The clients' process exited (${code}).`)))
  })
  exited.catch(() => undefined)
  const nextLine = (timeoutMs: number): Promise<string> => {
    const line = pending.shift()
    if (line !== undefined) return Promise.resolve(line)
    let timer: NodeJS.Timeout | undefined
    return Promise.race([
      new Promise<string>((resolve) => waiting.push(resolve)),
      exited,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`No word from the clients within ${timeoutMs} ms.`)),
          timeoutMs,
        )
      }),
    ]).finally(() => clearTimeout(timer))
  }
  const expect = async (word: string, timeoutMs: number): Promise<void> => {
    const line = await nextLine(timeoutMs)
    if (line !== word) throw new Error(`The clients said ${JSON.stringify(line)}, not ${word}.`)
  }
  try {
    await expect('OPEN', 30_000)
  } catch (error) {
    child.kill()
    throw error
  }
  return {
    nextRound: (timeoutMs) => expect('ROUND', timeoutMs),
    stop: () => {
      child.stdin.end()
      child.kill()
    },
  }
}

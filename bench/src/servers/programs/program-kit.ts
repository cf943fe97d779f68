import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'

/** What every server program is told on its command line. */
export type ProgramOptions = {
  /** The port to listen on (0 picks a free one; the real one is announced). */
  port: number
  /** A Redis URL for the cross-process variants, or null for the in-process one. */
  redisUrl: string | null
  /** A key prefix so runs never see each other's Redis data. */
  redisPrefix: string
  /** Program-specific variant (a channel-layer name, say). */
  variant: string
}

/** Parses `--port`, `--redis-url`, `--redis-prefix` and `--variant`. */
export function programOptions(argv: string[] = process.argv.slice(2)): ProgramOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '0' },
      'redis-url': { type: 'string' },
      'redis-prefix': { type: 'string', default: 'bench' },
      variant: { type: 'string', default: '' },
    },
  })
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(
      `--port must be an integer between 0 and 65535, got ${JSON.stringify(values.port)}.`,
    )
  }
  return {
    port,
    redisUrl: values['redis-url'] ?? null,
    redisPrefix: values['redis-prefix'],
    variant: values.variant,
  }
}

/** Tells the launcher the server is listening: one `READY <port>` line on stdout. */
export function announceReady(address: AddressInfo | string | null): void {
  if (address === null || typeof address === 'string') {
    throw new TypeError(`A benchmark server must listen on TCP, got ${JSON.stringify(address)}.`)
  }
  process.stdout.write(`READY ${address.port}\n`)
}

/**
 * Installs the launcher's hooks: SIGUSR2 runs a full garbage collection (when started with
 * --expose-gc) and answers `GC {collected, heapUsed, external}` on stdout, so memory is read after collection; SIGTERM and
 * SIGINT run `close` and exit (forcefully after 3 s).
 */
export function installHooks(close: () => Promise<void>): void {
  process.on('SIGUSR2', () => {
    const collect = (globalThis as { gc?: () => void }).gc
    collect?.()
    const { heapUsed, external } = process.memoryUsage()
    process.stdout.write(
      `GC ${JSON.stringify({ collected: collect !== undefined, heapUsed, external })}\n`,
    )
  })
  const stop = (): void => {
    setTimeout(() => process.exit(0), 3_000).unref()
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error)
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

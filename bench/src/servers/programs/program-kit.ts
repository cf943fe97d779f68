import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import { getHeapSpaceStatistics } from 'node:v8'

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

/**
 * Tells the launcher the server is listening: one `READY <port>` line on stdout. First fills
 * the young generation (see `fillYoungGeneration`), so that no later reading of resident
 * memory counts its pages.
 */
export function announceReady(address: AddressInfo | string | null): void {
  if (address === null || typeof address === 'string') {
    throw new TypeError(`A benchmark server must listen on TCP, got ${JSON.stringify(address)}.`)
  }
  fillYoungGeneration()
  process.stdout.write(`READY ${address.port}\n`)
}

/**
 * Installs the launcher's hooks: SIGUSR2 runs a full garbage collection (when started with
 * --expose-gc) and answers `GC {collected, heapUsed, external, youngGeneration}` on stdout, so
 * memory is read after collection (`youngGeneration`: the bytes V8's young generation has
 * reserved, see `youngGenerationBytes`); SIGTERM and SIGINT run `close` and exit (forcefully
 * after 3 s).
 */
export function installHooks(close: () => Promise<void>): void {
  process.on('SIGUSR2', () => {
    const collect = (globalThis as { gc?: () => void }).gc
    collect?.()
    const { heapUsed, external } = process.memoryUsage()
    const youngGeneration = youngGenerationBytes()
    process.stdout.write(
      `GC ${JSON.stringify({ collected: collect !== undefined, heapUsed, external, youngGeneration })}\n`,
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

/** Short-lived objects allocated per byte of young generation by `fillYoungGeneration`. */
const FILL_ROUNDS = 4

/**
 * Allocates short-lived objects, FILL_ROUNDS times the young generation's size, so that its
 * pages are all resident (the launcher fixes its size: see YOUNG_GENERATION_FLAGS in
 * catalog.ts). About 100 bytes each: an object and a two-element array, kept in a ring so
 * that V8 cannot elide them.
 */
export function fillYoungGeneration(): void {
  const ring = new Array<unknown>(1024)
  const count = Math.ceil((FILL_ROUNDS * youngGenerationBytes()) / 100)
  for (let index = 0; index < count; index++) ring[index & 1023] = { index, pair: [index, index] }
}

/**
 * The bytes V8's young generation has reserved (its new and new large-object spaces). V8 grows
 * it while many allocations survive, as in a burst of handshakes, and shrinks it once the
 * process idles: resident memory read just after such a burst includes the growth.
 */
export function youngGenerationBytes(): number {
  let bytes = 0
  for (const space of getHeapSpaceStatistics()) {
    if (space.space_name === 'new_space' || space.space_name === 'new_large_object_space') {
      bytes += space.space_size
    }
  }
  return bytes
}

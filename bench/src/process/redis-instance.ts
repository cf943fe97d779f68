import { spawnSync } from 'node:child_process'
import { cpus as availableCpus } from 'node:os'
import { freePort } from './free-port.js'
import { type LaunchedServer, launch } from './launch.js'

/** Whether `redis-server` is installed. */
export function redisAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
}

/**
 * Starts a private `redis-server` on a free port (no persistence), so the benchmark neither
 * disturbs nor is disturbed by anything else using the machine's Redis. It runs on `cpus` (a
 * taskset list); with null, on any CPU, even when the caller is pinned (a tool run under
 * `taskset`), so it does not share the measured process's core by inheritance.
 */
export async function startRedis(
  cpus: string | null = null,
): Promise<{ url: string; server: LaunchedServer }> {
  const port = await freePort()
  const server = await launch({
    name: 'redis-server',
    argv: [
      'redis-server',
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxclients',
      '10000',
    ],
    cpus: cpus ?? `0-${availableCpus().length - 1}`,
    minOpenFiles: 0,
    readyPattern: /Ready to accept connections/,
    port,
    collectsGarbage: false,
    startTimeoutMs: 10_000,
  })
  return { url: `redis://127.0.0.1:${port}`, server }
}

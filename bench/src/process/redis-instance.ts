import { spawnSync } from 'node:child_process'
import { freePort } from './free-port.js'
import { type LaunchedServer, launch } from './launch.js'

/** Whether `redis-server` is installed. */
export function redisAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
}

/**
 * Starts a private, unpinned `redis-server` on a free port (no persistence), so the benchmark
 * neither disturbs nor is disturbed by anything else using the machine's Redis.
 */
export async function startRedis(): Promise<{ url: string; server: LaunchedServer }> {
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
    cpus: null,
    minOpenFiles: 0,
    readyPattern: /Ready to accept connections/,
    port,
    collectsGarbage: false,
    startTimeoutMs: 10_000,
  })
  return { url: `redis://127.0.0.1:${port}`, server }
}

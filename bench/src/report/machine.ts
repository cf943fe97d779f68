import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import os from 'node:os'

/** The machine and the software versions a run was measured with. */
export type MachineInfo = {
  cpuModel: string
  cores: number
  memoryGiB: number
  kernel: string
  loadAverageAtStart: number[]
  node: string
  python: string | null
  redis: string | null
  gitCommit: string | null
  packages: Record<string, string>
}

const BENCH_DIR = new URL('../../', import.meta.url)
const NODE_PACKAGES = [
  'ws',
  'socket.io',
  '@socket.io/redis-adapter',
  'ioredis',
  '@node-channels/core',
  '@node-channels/server',
  '@node-channels/redis',
]
const PYTHON_PACKAGES = ['django', 'channels', 'daphne', 'channels_redis', 'twisted', 'redis']

function nodePackageVersion(name: string): string | null {
  try {
    const manifest = JSON.parse(
      readFileSync(new URL(`node_modules/${name}/package.json`, BENCH_DIR), 'utf8'),
    ) as { version?: unknown }
    return typeof manifest.version === 'string' ? manifest.version : null
  } catch {
    return null
  }
}

function run(command: string, args: string[], cwd?: string): string | null {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000, cwd })
  return result.status === 0 ? result.stdout.trim() : null
}

/** Reads the CPU, cores, versions of Node, Python and every compared package. */
export function machineInfo(python: string): MachineInfo {
  const packages: Record<string, string> = {}
  for (const name of NODE_PACKAGES) {
    const version = nodePackageVersion(name)
    if (version !== null) packages[name] = version
  }
  const script = `import importlib\nfor n in ${JSON.stringify(PYTHON_PACKAGES)}:\n  try:\n    m = importlib.import_module(n); print(n, getattr(m, '__version__', '?'))\n  except Exception:\n    pass`
  for (const line of (run(python, ['-c', script]) ?? '').split('\n')) {
    const [name, version] = line.split(' ')
    if (name && version) packages[`python:${name}`] = version
  }
  const cpuModel =
    /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ??
    os.cpus()[0]?.model ??
    'unknown'
  return {
    cpuModel,
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    loadAverageAtStart: os.loadavg().map((value) => Math.round(value * 100) / 100),
    node: process.version,
    python: run(python, ['--version'])?.replace('Python ', '') ?? null,
    redis: /v=(\S+)/.exec(run('redis-server', ['--version']) ?? '')?.[1] ?? null,
    gitCommit: run('git', ['rev-parse', '--short', 'HEAD'], new URL('..', BENCH_DIR).pathname),
    packages,
  }
}

import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Protocol } from '../load/protocols.js'
import type { LaunchSpec } from '../process/launch.js'
import type { ScenarioKind } from '../suite/scenarios.js'

/** What a server needs besides Node. */
export type Requirement = 'python' | 'redis' | 'node-channels'

/** The family a server belongs to (used to group the table and the chart). */
export type Family = 'ws' | 'socket.io' | 'django' | 'node-channels'

/** Where and how a server process starts. */
export type LaunchContext = {
  python: string
  serverCpus: string | null
  minOpenFiles: number
  redisUrl: string | null
  redisPrefix: string
}

/** One server under test: one process, or two sharing a Redis backplane. */
export type ServerSpec = {
  id: string
  label: string
  family: Family
  protocol: Protocol
  processes: 1 | 2
  requires: Requirement[]
  /** Which scenario kinds/ids it runs. */
  runs(scenario: { id: string; kind: ScenarioKind }): boolean
  /** How to start process `index` (0 or 1). */
  launch(context: LaunchContext): LaunchSpec
}

const PROGRAMS = new URL('./programs/', import.meta.url)
const DJANGO_DIR = fileURLToPath(new URL('../../django/', import.meta.url))
const NODE_READY = /^READY (\d+)$/
const DAPHNE_READY = /Listening on TCP address 127\.0\.0\.1:(\d+)/

/** The path of a compiled server program. */
export function programPath(name: string): string {
  return fileURLToPath(new URL(`${name}.js`, PROGRAMS))
}

/** Extra Node flags for the server programs (BENCH_SERVER_NODE_FLAGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`). */
function extraNodeFlags(): string[] {
  return (process.env.BENCH_SERVER_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '')
}

/**
 * Every Node server's young generation is fixed at 16 MiB per semi-space (V8's largest on
 * 64-bit, which a busy server grows to anyway) and filled once before the program announces
 * itself (`announceReady`). Otherwise the first burst grows it, or first touches pages it
 * reserved while starting, and resident memory read around the connect-idle burst counted
 * that: 5.7 KiB per connection of growth for raw ws, which starts small; for node-channels,
 * which allocates more while loading, pages reserved but not yet touched.
 */
export const YOUNG_GENERATION_FLAGS: readonly string[] = [
  '--min-semi-space-size=16',
  '--max-semi-space-size=16',
]

function nodeProgram(name: string, variant = ''): (context: LaunchContext) => LaunchSpec {
  return (context) => ({
    name,
    argv: [
      process.execPath,
      '--expose-gc',
      ...YOUNG_GENERATION_FLAGS,
      ...extraNodeFlags(),
      programPath(name),
      '--port',
      '0',
      '--variant',
      variant,
      '--redis-prefix',
      context.redisPrefix,
      ...(context.redisUrl === null ? [] : ['--redis-url', context.redisUrl]),
    ],
    cpus: context.serverCpus,
    minOpenFiles: context.minOpenFiles,
    readyPattern: NODE_READY,
    collectsGarbage: true,
    startTimeoutMs: 15_000,
  })
}

function daphne(layer: 'memory' | 'redis'): (context: LaunchContext) => LaunchSpec {
  return (context) => ({
    name: `daphne (${layer})`,
    argv: [
      context.python,
      '-m',
      'daphne',
      '-b',
      '127.0.0.1',
      '-p',
      '0',
      'benchsite.asgi:application',
    ],
    cwd: DJANGO_DIR,
    env: {
      BENCH_LAYER: layer,
      BENCH_REDIS_URL: context.redisUrl ?? '',
      BENCH_REDIS_PREFIX: context.redisPrefix,
      PYTHONDONTWRITEBYTECODE: '1',
    },
    cpus: context.serverCpus,
    minOpenFiles: context.minOpenFiles,
    readyPattern: DAPHNE_READY,
    collectsGarbage: false,
    startTimeoutMs: 30_000,
  })
}

const everything = (): boolean => true
const broadcastOnly = (scenario: { kind: ScenarioKind }): boolean => scenario.kind === 'broadcast'

/** Every server the suite compares, in table order. */
export const SERVERS: ServerSpec[] = [
  {
    id: 'raw-ws',
    label: 'ws (raw)',
    family: 'ws',
    protocol: 'plain',
    processes: 1,
    requires: [],
    runs: everything,
    launch: nodeProgram('raw-ws'),
  },
  {
    id: 'raw-ws-cork',
    label: 'ws, frame once + cork',
    family: 'ws',
    protocol: 'plain',
    processes: 1,
    requires: [],
    runs: broadcastOnly,
    launch: nodeProgram('raw-ws-cork'),
  },
  {
    id: 'socket.io',
    label: 'socket.io 4',
    family: 'socket.io',
    protocol: 'socket.io',
    processes: 1,
    requires: [],
    runs: everything,
    launch: nodeProgram('socket-io'),
  },
  {
    id: 'socket.io-redis',
    label: 'socket.io 4 + redis-adapter, 2 procs',
    family: 'socket.io',
    protocol: 'socket.io',
    processes: 2,
    requires: ['redis'],
    runs: broadcastOnly,
    launch: nodeProgram('socket-io'),
  },
  {
    id: 'daphne',
    label: 'Channels on Daphne, InMemory',
    family: 'django',
    protocol: 'plain',
    processes: 1,
    requires: ['python'],
    runs: everything,
    launch: daphne('memory'),
  },
  {
    id: 'daphne-redis',
    label: 'Channels on Daphne, channels_redis, 2 procs',
    family: 'django',
    protocol: 'plain',
    processes: 2,
    requires: ['python', 'redis'],
    runs: broadcastOnly,
    launch: daphne('redis'),
  },
  {
    id: 'node-channels',
    label: 'node-channels, in-memory',
    family: 'node-channels',
    protocol: 'plain',
    processes: 1,
    requires: ['node-channels'],
    runs: everything,
    launch: nodeProgram('node-channels', 'memory'),
  },
  {
    id: 'node-channels-relays',
    label: 'node-channels, in-memory, relays',
    family: 'node-channels',
    protocol: 'plain',
    processes: 1,
    requires: ['node-channels'],
    runs: broadcastOnly,
    launch: nodeProgram('node-channels', 'memory-relays'),
  },
  {
    id: 'node-channels-redis',
    label: 'node-channels, RedisChannelLayer, 2 procs',
    family: 'node-channels',
    protocol: 'plain',
    processes: 2,
    requires: ['node-channels', 'redis'],
    runs: broadcastOnly,
    launch: nodeProgram('node-channels', 'redis'),
  },
  {
    id: 'node-channels-redis-pubsub',
    label: 'node-channels, RedisPubSubChannelLayer, 2 procs',
    family: 'node-channels',
    protocol: 'plain',
    processes: 2,
    requires: ['node-channels', 'redis'],
    runs: broadcastOnly,
    launch: nodeProgram('node-channels', 'redis-pubsub'),
  },
  {
    id: 'node-channels-redis-relays',
    label: 'node-channels, RedisChannelLayer, relays, 2 procs',
    family: 'node-channels',
    protocol: 'plain',
    processes: 2,
    requires: ['node-channels', 'redis'],
    runs: broadcastOnly,
    launch: nodeProgram('node-channels', 'redis-relays'),
  },
  {
    id: 'node-channels-redis-pubsub-relays',
    label: 'node-channels, RedisPubSubChannelLayer, relays, 2 procs',
    family: 'node-channels',
    protocol: 'plain',
    processes: 2,
    requires: ['node-channels', 'redis'],
    runs: broadcastOnly,
    launch: nodeProgram('node-channels', 'redis-pubsub-relays'),
  },
]

/** Why `python` cannot run the Django peers (null when it can). */
export function pythonProblem(python: string, withRedis: boolean): string | null {
  const modules = withRedis
    ? 'daphne, channels, django, channels_redis'
    : 'daphne, channels, django'
  const check = spawnSync(python, ['-c', `import ${modules}`], {
    encoding: 'utf8',
    timeout: 30_000,
  })
  if (check.error !== undefined) return `${python} could not be run (${check.error.message})`
  if (check.status !== 0)
    return `${python} cannot import ${modules}: ${check.stderr.trim().split('\n').pop() ?? ''}`
  return null
}

/** Why the node-channels servers (with Redis when `withRedis`) cannot run yet (null when they can). */
export async function nodeChannelsProblem(withRedis: boolean): Promise<string | null> {
  if (!existsSync(programPath('node-channels')))
    return 'the node-channels server program is not built'
  try {
    const server = (await import('@node-channels/server')) as Record<string, unknown>
    const core = (await import('@node-channels/core')) as Record<string, unknown>
    if (typeof server.serve !== 'function')
      return '@node-channels/server does not export serve() yet'
    if (typeof core.WebsocketConsumer !== 'function')
      return '@node-channels/core does not export WebsocketConsumer yet'
    if (withRedis) {
      const redis = (await import('@node-channels/redis')) as Record<string, unknown>
      if (
        typeof redis.RedisChannelLayer !== 'function' ||
        typeof redis.RedisPubSubChannelLayer !== 'function'
      ) {
        return '@node-channels/redis does not export RedisChannelLayer and RedisPubSubChannelLayer yet'
      }
    }
    return null
  } catch (error) {
    return `the node-channels packages cannot be loaded: ${error instanceof Error ? error.message : String(error)}`
  }
}

import type { ChannelCapacity } from '@node-channels/core'
import type { RedisOptions } from 'ioredis'
import { z } from 'zod'
import { defaultLogger, type RedisLayerLogger } from './logger.js'

/** One Redis server given as an object rather than a URL. */
export interface RedisHostOptions {
  /** @default '127.0.0.1' */
  host?: string
  /** @default 6379 */
  port?: number
  /** The database number. @default 0 */
  db?: number
  username?: string
  password?: string
  /** Connect with TLS (what a `rediss://` URL means). @default false */
  tls?: boolean
}

/** A Redis server: a `redis://` or `rediss://` URL (`redis://:password@host:port/db`), or its parts. */
export type RedisHost = string | RedisHostOptions

/** Options both Redis layers take. */
export interface RedisLayerCommonOptions {
  /**
   * The Redis servers; keys are sharded over them by position, so the list and its order must
   * match every other process (Python's included). A single URL may be given alone.
   * @default ['redis://127.0.0.1:6379']
   */
  hosts?: string | readonly RedisHost[]
  /** Prepended to every Redis key or pub/sub group channel; must match the Python side. @default 'asgi' */
  prefix?: string
  /** Messages a channel (or this process's local buffer of it) holds. @default 100 */
  capacity?: number
  /** How long an unread message lives. Whole seconds on the wire. @default 60_000 */
  expiryMs?: number
  /**
   * Encrypt messages with Fernet, as channels_redis' `symmetric_encryption_keys`: the first
   * key encrypts, all of them are tried to decrypt. Same keys, same order as Python.
   */
  symmetricEncryptionKeys?: ReadonlyArray<string | Uint8Array>
  /** Largest msgpack-encoded message `send()`/`groupSend()` accept before `MessageTooLarge`. @default 4_194_304 */
  maxMessageBytes?: number
  /** How long a first connection may take before an operation fails with `RedisConnectionError`. @default 5000 */
  connectTimeoutMs?: number
  /** How long a Redis command may take before it fails with `RedisConnectionError`. @default 5000 */
  commandTimeoutMs?: number
  /** Where skipped entries, lost connections and over-capacity groups are reported. */
  logger?: RedisLayerLogger
}

/** Options of `new RedisChannelLayer()`. Mirrors `channels_redis.core.RedisChannelLayer`'s keyword arguments. */
export interface RedisChannelLayerOptions extends RedisLayerCommonOptions {
  /** How long a group membership lives after its last `groupAdd`. Whole seconds on the wire. @default 86_400_000 */
  groupExpiryMs?: number
  /** Per-channel capacities by glob pattern or RegExp, matched against full channel names. */
  channelCapacity?: ChannelCapacity
  /** Random bytes in front of every stored message (channels_redis ≥ 4.2.1 `random_prefix_length`). @default 12 */
  randomPrefixLength?: number
}

/** Options of `new RedisPubSubChannelLayer()`. Mirrors `channels_redis.pubsub.RedisPubSubChannelLayer`'s. */
export type RedisPubSubChannelLayerOptions = RedisLayerCommonOptions

/** A host after validation: how to connect, and how to name it in messages (no password). */
export interface ResolvedHost {
  readonly address: string
  readonly connection: RedisOptions
}

/** The common options after validation and defaults. */
export interface ResolvedCommonOptions {
  hosts: ResolvedHost[]
  prefix: string
  capacity: number
  expiryMs: number
  symmetricEncryptionKeys: Array<string | Uint8Array>
  maxMessageBytes: number
  connectTimeoutMs: number
  commandTimeoutMs: number
  logger: RedisLayerLogger
}

/** `RedisChannelLayerOptions` after validation and defaults. */
export interface ResolvedRedisChannelLayerOptions extends ResolvedCommonOptions {
  groupExpiryMs: number
  channelCapacity: ChannelCapacity
  randomPrefixLength: number
}

const DEFAULT_HOST = 'redis://127.0.0.1:6379'

const hostObject = z.strictObject({
  host: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65_535).optional(),
  db: z.number().int().nonnegative().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  tls: z.boolean().optional(),
})

const hosts = z
  .union([z.string(), z.array(z.union([z.string(), hostObject])).min(1)])
  .prefault(DEFAULT_HOST)
  .transform((value, context) => {
    const resolved: ResolvedHost[] = []
    for (const [index, host] of (typeof value === 'string' ? [value] : value).entries()) {
      const result = typeof host === 'string' ? parseHostUrl(host) : resolveHost(host)
      if (typeof result === 'string') {
        context.addIssue({
          code: 'custom',
          message: result,
          path: typeof value === 'string' ? [] : [index],
        })
      } else resolved.push(result)
    }
    return resolved
  })

const milliseconds = z.number().int().positive()

const logger = z.custom<RedisLayerLogger>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    ['info', 'warn', 'error'].every(
      (method) => typeof (value as Record<string, unknown>)[method] === 'function',
    ),
  { message: 'Expected an object with info, warn and error methods' },
)

const commonShape = {
  hosts,
  prefix: z.string().default('asgi'),
  capacity: z.number().int().positive().default(100),
  expiryMs: milliseconds.default(60_000),
  symmetricEncryptionKeys: z
    .array(z.union([z.string().min(1), z.instanceof(Uint8Array)]))
    .min(1)
    .optional()
    .transform((keys) => keys ?? []),
  maxMessageBytes: z
    .number()
    .int()
    .positive()
    .default(4 * 1024 * 1024),
  connectTimeoutMs: milliseconds.default(5000),
  commandTimeoutMs: milliseconds.default(5000),
  logger: logger.default(defaultLogger),
}

const channelLayerSchema: z.ZodType<ResolvedRedisChannelLayerOptions, RedisChannelLayerOptions> =
  z.strictObject({
    ...commonShape,
    groupExpiryMs: milliseconds.default(86_400_000),
    channelCapacity: z.custom<ChannelCapacity>((value) => typeof value === 'object').default({}),
    randomPrefixLength: z.number().int().min(0).max(64).default(12),
  })

const pubSubSchema: z.ZodType<ResolvedCommonOptions, RedisPubSubChannelLayerOptions> =
  z.strictObject(commonShape)

/** Validates `RedisChannelLayer` options and fills in channels_redis' defaults; TypeError on bad input. */
export function parseRedisChannelLayerOptions(
  options: RedisChannelLayerOptions,
): ResolvedRedisChannelLayerOptions {
  return parse(channelLayerSchema, options, 'RedisChannelLayer')
}

/** Validates `RedisPubSubChannelLayer` options and fills in defaults; TypeError on bad input. */
export function parsePubSubChannelLayerOptions(
  options: RedisPubSubChannelLayerOptions,
): ResolvedCommonOptions {
  return parse(pubSubSchema, options, 'RedisPubSubChannelLayer')
}

function parse<T, I>(schema: z.ZodType<T, I>, options: I, layer: string): T {
  const parsed = schema.safeParse(options)
  if (!parsed.success) {
    throw new TypeError(`Invalid ${layer} options: ${z.prettifyError(parsed.error)}`)
  }
  return parsed.data
}

/** Parses a `redis://` or `rediss://` URL, or returns why it cannot be used. */
function parseHostUrl(text: string): ResolvedHost | string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return `${JSON.stringify(text)} is not a URL`
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    return `${JSON.stringify(text)} is not a redis:// or rediss:// URL`
  }
  const extra = [...url.searchParams.keys()].filter((key) => key !== 'db')
  const db = url.pathname.replace(/^\//, '') || url.searchParams.get('db') || '0'
  if (extra.length > 0 || !/^\d+$/.test(db)) {
    return `${JSON.stringify(text)} has an unsupported database or query (${url.pathname}${url.search})`
  }
  return resolveHost({
    host: url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: url.port ? Number(url.port) : 6379,
    db: Number(db),
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    tls: url.protocol === 'rediss:',
  })
}

function resolveHost(host: RedisHostOptions): ResolvedHost {
  const hostname = host.host ?? '127.0.0.1'
  const port = host.port ?? 6379
  const db = host.db ?? 0
  const scheme = host.tls ? 'rediss' : 'redis'
  const bracketed = hostname.includes(':') ? `[${hostname}]` : hostname
  return {
    address: `${scheme}://${bracketed}:${port}/${db}`,
    connection: {
      host: hostname,
      port,
      db,
      ...(host.username === undefined ? {} : { username: host.username }),
      ...(host.password === undefined ? {} : { password: host.password }),
      ...(host.tls ? { tls: {} } : {}),
    },
  }
}

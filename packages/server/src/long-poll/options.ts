import type { ChannelLayer } from '@node-channels/core'
import { quoteValue } from '@node-channels/core'
import { type ResolvedOptions, resolveOptions, type ServerLogger } from '../options.js'

/**
 * Options of `longPoll()`. Limits default to the server's when it runs the transport. The
 * server's safe defaults for WebSockets apply to sessions too, with the server's options (or
 * their defaults outside `serve()`): the origin check on `open` (`allowedOrigins`,
 * `requireOrigin`), the connection caps (`maxConnectionsPerClient`, `maxConnections`), the
 * message rate (`websocketRateLimit`) and size (`websocketMaxMessageSize`) on `send`.
 */
export interface LongPollOptions {
  /** Where the endpoints live when the transport is not mounted under a `URLRouter`. @default '/lp/' */
  prefix?: string
  /** How long a poll waits for events before answering 204. @default 25000 */
  pollTimeoutMs?: number
  /** A session that has not polled for this long is closed (the application sees 1006). @default 2 × pollTimeoutMs */
  sessionTimeoutMs?: number
  /** How long a request waits for the session's process to answer, else 404. @default 5000 */
  replyTimeoutMs?: number
  /** Time the application has to accept or close, else 504. @default the server's websocketConnectTimeoutMs, else 5000 */
  connectTimeoutMs?: number
  /** Output a session may hold for a client that does not poll, else close 1008. @default the server's maxBufferedBytes, else 8 MiB */
  maxBufferedBytes?: number
  /** Largest request body, else 413. @default 2 MiB */
  maxBodyBytes?: number
  /** Time an application has to return once its session ended. @default the server's, else 10000 */
  applicationCloseTimeoutMs?: number
  /** The layer sessions talk through. @default getChannelLayer(channelLayerAlias), looked up per request */
  layer?: ChannelLayer
  /** @default 'default' */
  channelLayerAlias?: string
  /** @default the server's logger, else warnings and errors to stderr */
  logger?: ServerLogger
}

let defaults: ResolvedOptions | null = null

/** The server's options with every default, for a transport running outside `serve()`. */
export function serverDefaults(): ResolvedOptions {
  defaults ??= resolveOptions()
  return defaults
}

/** `LongPollOptions` checked, with their own defaults applied (the server's come later). */
export interface LongPollSettings {
  prefix: string
  pollTimeoutMs: number
  sessionTimeoutMs: number
  replyTimeoutMs: number
  connectTimeoutMs: number | undefined
  maxBufferedBytes: number | undefined
  maxBodyBytes: number
  applicationCloseTimeoutMs: number | undefined
  layer: ChannelLayer | undefined
  alias: string
  logger: ServerLogger | undefined
}

/** Checks the options of `longPoll()`, throwing a TypeError or RangeError naming the bad one. */
export function resolveLongPollOptions(options: LongPollOptions): LongPollSettings {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`longPoll() options must be an object, not ${quoteValue(options)}.`)
  }
  const positive = (
    name: keyof LongPollOptions,
    unit: string,
    fallback?: number,
  ): number | undefined => {
    const value = options[name]
    if (value === undefined) return fallback
    if (
      typeof value !== 'number' ||
      !Number.isInteger(value) ||
      value <= 0 ||
      value > 2 ** 31 - 1
    ) {
      throw new RangeError(
        `The ${name} option must be a whole number of ${unit} from 1, not ${quoteValue(value)}.`,
      )
    }
    return value
  }
  const ms = (name: keyof LongPollOptions, fallback?: number) =>
    positive(name, 'milliseconds', fallback)
  const bytes = (name: keyof LongPollOptions, fallback?: number) =>
    positive(name, 'bytes', fallback)
  const pollTimeoutMs = ms('pollTimeoutMs', 25_000) as number
  const sessionTimeoutMs = ms('sessionTimeoutMs', 2 * pollTimeoutMs) as number
  if (sessionTimeoutMs <= pollTimeoutMs) {
    throw new RangeError(
      `The sessionTimeoutMs option must be longer than pollTimeoutMs (${pollTimeoutMs}), not ${sessionTimeoutMs}.`,
    )
  }
  const prefix = options.prefix ?? '/lp/'
  if (typeof prefix !== 'string' || !prefix.startsWith('/') || !prefix.endsWith('/')) {
    throw new TypeError(`The prefix option must start and end with "/", not ${quoteValue(prefix)}.`)
  }
  return {
    prefix,
    pollTimeoutMs,
    sessionTimeoutMs,
    replyTimeoutMs: ms('replyTimeoutMs', 5000) as number,
    connectTimeoutMs: ms('connectTimeoutMs'),
    maxBufferedBytes: bytes('maxBufferedBytes'),
    maxBodyBytes: bytes('maxBodyBytes', 2 * 1024 * 1024) as number,
    applicationCloseTimeoutMs: ms('applicationCloseTimeoutMs'),
    layer: options.layer,
    alias: options.channelLayerAlias ?? 'default',
    logger: options.logger,
  }
}

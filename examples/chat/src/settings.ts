import { type ChannelLayer, DEBUG_ALLOWED_HOSTS, setChannelLayer } from '@node-channels/core'
import { channelLayerFromUrl } from '@node-channels/redis'
import { z } from 'zod'
import type { ChatApplicationOptions } from './application.js'
import { InMemoryHistoryStore } from './history.js'
import { connectRedisHistory } from './redis-history.js'

/** The chat's configuration, read from the environment (Django's settings.py, in short). */
export interface ChatSettings {
  /** `CHANNEL_LAYER_URL`: a `redis://` URL selects the Redis layer and history; null, in memory. */
  channelLayerUrl: string | null
  /** `localhost`, `127.0.0.1`, `[::1]`, plus the comma-separated `CHAT_ALLOWED_HOSTS`. */
  allowedHosts: string[]
  /** `CHAT_PRESENCE_INTERVAL_MS`: see `ChatConsumerInit.presenceIntervalMs`. @default 10000 */
  presenceIntervalMs: number
}

const envSchema = z.object({
  CHANNEL_LAYER_URL: z
    .string()
    .trim()
    .transform((value) => (value === '' ? null : value))
    .refine((value) => value === null || /^rediss?:\/\//.test(value), {
      error: 'CHANNEL_LAYER_URL must be a redis:// or rediss:// URL.',
    })
    .optional(),
  CHAT_ALLOWED_HOSTS: z.string().optional(),
  CHAT_PRESENCE_INTERVAL_MS: z.coerce
    .number({ error: 'CHAT_PRESENCE_INTERVAL_MS must be a number of milliseconds.' })
    .int({ error: 'CHAT_PRESENCE_INTERVAL_MS must be a whole number of milliseconds.' })
    .min(10, { error: 'CHAT_PRESENCE_INTERVAL_MS must be at least 10.' })
    .max(3_600_000, { error: 'CHAT_PRESENCE_INTERVAL_MS must be at most 3600000.' })
    .optional(),
})

/** A setting that cannot be used; `main` prints its message and exits with status 2. */
export class SettingsError extends Error {
  override name = 'SettingsError'
}

/** Reads the settings from `env`, throwing a SettingsError that names a bad variable. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): ChatSettings {
  const parsed = envSchema.safeParse(env)
  if (!parsed.success) {
    throw new SettingsError(parsed.error.issues.map((issue) => issue.message).join('\n'))
  }
  const extraHosts = (parsed.data.CHAT_ALLOWED_HOSTS ?? '')
    .split(',')
    .map((host) => host.trim().toLowerCase())
    .filter((host) => host.length > 0)
  return {
    channelLayerUrl: parsed.data.CHANNEL_LAYER_URL ?? null,
    allowedHosts: [...new Set([...DEBUG_ALLOWED_HOSTS, ...extraHosts])],
    presenceIntervalMs: parsed.data.CHAT_PRESENCE_INTERVAL_MS ?? 10_000,
  }
}

/**
 * Applies the settings: with `channelLayerUrl`, configures the Redis channel layer (through
 * `channelLayerFromUrl`) and a Redis history store on the same server and prefix, so every
 * process on that Redis shares rooms, members and history; without, the embedded in-memory
 * layer and history. Returns what `createApplication()` needs.
 */
export function applySettings(settings: ChatSettings): ChatApplicationOptions {
  const { allowedHosts, presenceIntervalMs } = settings
  if (settings.channelLayerUrl === null) {
    return { history: new InMemoryHistoryStore(), allowedHosts, presenceIntervalMs }
  }
  let layer: ChannelLayer
  try {
    layer = channelLayerFromUrl(settings.channelLayerUrl)
  } catch (error) {
    throw new SettingsError(`CHANNEL_LAYER_URL: ${(error as Error).message}`, { cause: error })
  }
  setChannelLayer(layer)
  return {
    history: connectRedisHistory(settings.channelLayerUrl),
    allowedHosts,
    presenceIntervalMs,
  }
}

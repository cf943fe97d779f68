import { DEBUG_ALLOWED_HOSTS } from '@node-channels/core'
import { z } from 'zod'

/** The chat's configuration, read from the environment (Django's settings.py, in short). */
export interface ChatSettings {
  /** `CHANNEL_LAYER_URL`: a `redis://` URL selects the Redis layer and history; null, in memory. */
  channelLayerUrl: string | null
  /** `CHAT_REDIS_PREFIX`: prefix of every Redis key (channel layer and history). @default 'asgi' */
  redisPrefix: string
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
  CHAT_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,40}$/, {
      error: 'CHAT_REDIS_PREFIX must be 1 to 40 letters, digits, "_", "." or "-".',
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
    redisPrefix: parsed.data.CHAT_REDIS_PREFIX ?? 'asgi',
    allowedHosts: [...new Set([...DEBUG_ALLOWED_HOSTS, ...extraHosts])],
    presenceIntervalMs: parsed.data.CHAT_PRESENCE_INTERVAL_MS ?? 10_000,
  }
}

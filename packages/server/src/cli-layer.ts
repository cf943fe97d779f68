import {
  type ChannelLayer,
  getChannelLayer,
  quoteValue,
  setChannelLayer,
} from '@node-channels/core'
import { UsageError } from './cli-values.js'
import { CHANNEL_LAYER_URL_ENV, loadChannelLayer } from './layer-url.js'
import type { ServerLogger } from './options.js'

/** The layer the CLI configured from `--layer` or `CHANNEL_LAYER_URL`, and where it came from. */
export interface CliLayer {
  layer: ChannelLayer
  url: string
  source: '--layer' | typeof CHANNEL_LAYER_URL_ENV
}

/**
 * Configures the default channel layer from `--layer` (which wins) or `CHANNEL_LAYER_URL`,
 * before the module is imported. Returns null when neither is set (the module's own layer,
 * or the in-memory default, applies). An unusable URL is a UsageError naming its source.
 */
export async function configureCliLayer(
  option: string | null,
  env: NodeJS.ProcessEnv,
): Promise<CliLayer | null> {
  const fromEnv = env[CHANNEL_LAYER_URL_ENV]?.trim() ?? ''
  const url = option ?? (fromEnv === '' ? null : fromEnv)
  if (url === null) return null
  const source = option === null ? CHANNEL_LAYER_URL_ENV : '--layer'
  let layer: ChannelLayer
  try {
    layer = await loadChannelLayer(url)
  } catch (error) {
    if (error instanceof TypeError) throw new UsageError(`${source}: ${error.message}`)
    throw error
  }
  setChannelLayer(layer)
  return { layer, url, source }
}

/**
 * After the module is imported: if it configured its own default layer in code, that one
 * is used and the CLI's is closed (a warning when it came from `--layer`, a debug line
 * when from the environment, which such modules usually read themselves).
 */
export async function settleCliLayer(
  configured: CliLayer | null,
  logger: ServerLogger,
): Promise<void> {
  if (configured === null || getChannelLayer() === configured.layer) return
  const message =
    `The module configured its own channel layer; the one from ${configured.source} ` +
    `(${quoteValue(redact(configured.url))}) is not used.`
  if (configured.source === '--layer') logger.warn(message)
  else logger.debug(message)
  await configured.layer.close()
}

/** The URL without its password, for log lines. */
function redact(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password === '') return url
    parsed.password = '***'
    return parsed.href
  } catch {
    return url
  }
}

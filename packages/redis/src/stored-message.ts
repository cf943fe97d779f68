import type { Message } from '@node-channels/core'
import { z } from 'zod'
import { type SplitMessage, splitAsgiChannel } from './asgi-channel.js'
import type { ChannelListCache } from './channel-list-cache.js'
import type { RedisLayerLogger } from './logger.js'
import { decodeMessage } from './msgpack-codec.js'
import type { MessageSerializer } from './serializer.js'

/** What a message read back from Redis must look like; only used to word the warning for one that is not. */
const storedMessage = z.looseObject({
  type: z.string(),
  __asgi_channel__: z.union([z.string(), z.array(z.string())]).optional(),
})

/** A message popped from a queue, split into the message and the channels it names. */
export interface StoredMessage {
  message: Message
  /** `__asgi_channel__`: a name from `send()`, a list from `group_send()`, absent for named channels. */
  channels: string | readonly string[] | undefined
}

/**
 * Decodes a popped member. Returns null, after logging why, for anything undecodable (not
 * msgpack, not ours to decrypt), not shaped like a channel layer message, or older than the
 * expiry (channels_redis leaves stale messages to the next sender's trim; they are not delivered).
 * The returned message is the decoded object itself, with `__asgi_channel__` removed. With
 * `lists`, a channel list whose bytes were decoded lately is not decoded again.
 */
export function decodeStoredMessage(
  serializer: MessageSerializer,
  key: string,
  member: Uint8Array,
  expiresAtMs: number,
  logger: RedisLayerLogger,
  lists?: ChannelListCache,
): StoredMessage | null {
  let decoded: unknown
  let split: SplitMessage | null = null
  try {
    const payload = serializer.open(member)
    // The usual shape (the channels last) is split without decoding every channel name.
    split = splitAsgiChannel(payload, lists)
    decoded = decodeMessage(split ? split.body : payload)
  } catch (error) {
    logger.warn(
      `Skipped an undecodable message in Redis key ${JSON.stringify(key)}: ${(error as Error).message}`,
    )
    return null
  }
  if (!isStoredMessage(decoded)) {
    const parsed = storedMessage.safeParse(decoded)
    const reason = parsed.success ? 'unexpected shape' : z.prettifyError(parsed.error)
    logger.warn(
      `Skipped a message in Redis key ${JSON.stringify(key)} that is not a channel layer message: ${reason}`,
    )
    return null
  }
  if (expiresAtMs < Date.now()) return null
  // A key written twice: the last one counts, as the decoder would have it.
  const channels = split ? split.channels : decoded.__asgi_channel__
  // The decoded object is ours alone; channels_redis writes the key last, so deleting it is cheap.
  if (decoded.__asgi_channel__ !== undefined) delete decoded.__asgi_channel__
  return { message: decoded, channels }
}

/** The same check as `storedMessage`, without building a copy of the message. */
function isStoredMessage(
  value: unknown,
): value is Message & { __asgi_channel__?: string | string[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const record = value as Record<string, unknown>
  if (typeof record.type !== 'string') return false
  const channels = record.__asgi_channel__
  if (channels === undefined || typeof channels === 'string') return true
  if (!Array.isArray(channels)) return false
  for (const channel of channels) if (typeof channel !== 'string') return false
  return true
}

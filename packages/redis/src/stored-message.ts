import type { Message } from '@node-channels/core'
import { z } from 'zod'
import type { RedisLayerLogger } from './logger.js'
import type { MessageSerializer } from './serializer.js'

/** What a message read back from Redis must look like; anything else is logged and skipped. */
const storedMessage = z.looseObject({
  type: z.string(),
  __asgi_channel__: z.union([z.string(), z.array(z.string())]).optional(),
})

/** A message popped from a queue, split into the message and the channels it names. */
export interface StoredMessage {
  message: Message
  /** `__asgi_channel__`: a name from `send()`, a list from `group_send()`, absent for named channels. */
  channels: string | string[] | undefined
}

/**
 * Decodes a popped member. Returns null, after logging why, for anything undecodable (not
 * msgpack, not ours to decrypt), not shaped like a channel layer message, or older than the
 * expiry (channels_redis leaves stale messages to the next sender's trim; they are not delivered).
 */
export function decodeStoredMessage(
  serializer: MessageSerializer,
  key: string,
  member: Uint8Array,
  expiresAtMs: number,
  logger: RedisLayerLogger,
): StoredMessage | null {
  let decoded: unknown
  try {
    decoded = serializer.deserialize(member)
  } catch (error) {
    logger.warn(
      `Skipped an undecodable message in Redis key ${JSON.stringify(key)}: ${(error as Error).message}`,
    )
    return null
  }
  const parsed = storedMessage.safeParse(decoded)
  if (!parsed.success) {
    logger.warn(
      `Skipped a message in Redis key ${JSON.stringify(key)} that is not a channel layer message: ${z.prettifyError(parsed.error)}`,
    )
    return null
  }
  if (expiresAtMs < Date.now()) return null
  const { __asgi_channel__: channels, ...message } = parsed.data
  return { message, channels }
}

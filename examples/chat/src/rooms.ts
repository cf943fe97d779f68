import { createHash } from 'node:crypto'
import { z } from 'zod'

/** Longest room name, in characters (code points). */
export const ROOM_NAME_MAX_LENGTH = 40

const ROOM_NAME = /^[\p{L}\p{N}\p{M}_-]+$/u
const ASCII_ROOM_NAME = /^[A-Za-z0-9_-]+$/

/**
 * A room name: 1 to 40 letters, digits, `_` or `-` in any script, NFC-normalised. The tutorial
 * allows `\w+`; this keeps a room to one URL segment with nothing a browser would rewrite
 * (no dots, slashes or spaces).
 */
export const roomNameSchema: z.ZodType<string, string> = z
  .string()
  .normalize('NFC')
  .refine((name) => name.length > 0, { error: 'A room name cannot be empty.', abort: true })
  .refine((name) => [...name].length <= ROOM_NAME_MAX_LENGTH, {
    error: `A room name can be at most ${ROOM_NAME_MAX_LENGTH} characters long.`,
    abort: true,
  })
  .refine((name) => ROOM_NAME.test(name), {
    error: 'A room name can hold only letters, digits, "_" and "-".',
  })

/**
 * The channel-layer group of a room: `chat_<room>` as in the tutorial when the name is ASCII,
 * else `chat_u.<hash>`, since group names must be ASCII and shorter than 100 characters. The
 * two forms cannot collide: an ASCII room name holds no dot.
 */
export function roomGroupName(room: string): string {
  if (ASCII_ROOM_NAME.test(room)) return `chat_${room}`
  return `chat_u.${createHash('sha256').update(room, 'utf8').digest('base64url')}`
}

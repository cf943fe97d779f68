import { z } from 'zod'

// What the browser and the chat consumer say to each other over `/ws/chat/<room>/`.
// Client -> server frames are validated by `clientMessageSchema` (the JSON consumer's schema
// support); server -> client frames are the `ServerMessage` union.

/** Longest chat message, in UTF-16 code units (what the browser's `value.length` counts). */
export const MESSAGE_MAX_LENGTH = 500
/** Longest nickname, in UTF-16 code units. */
export const NICKNAME_MAX_LENGTH = 24

const NICKNAME = /^[\p{L}\p{N}](?:[\p{L}\p{N}\p{M} _.'-]*[\p{L}\p{N}\p{M}_.])?$/u
// Control characters other than tab and newline, and the Unicode line/paragraph separators.
const CONTROL = /(?![\t\n])[\p{Cc}\u2028\u2029]/u

/**
 * A nickname: 1 to 24 characters after trimming, starting with a letter or digit, then letters,
 * digits, spaces, `_`, `.`, `'` or `-` (not ending in a space, `'` or `-`). NFC-normalised.
 */
export const nicknameSchema: z.ZodType<string, string> = z
  .string({ error: 'A nickname must be text.' })
  .trim()
  .normalize('NFC')
  .min(1, { error: 'Choose a nickname first.', abort: true })
  .max(NICKNAME_MAX_LENGTH, {
    error: `A nickname can be at most ${NICKNAME_MAX_LENGTH} characters long.`,
    abort: true,
  })
  .regex(NICKNAME, {
    error:
      "A nickname starts with a letter or digit and holds only letters, digits, spaces, _ . ' -",
  })

/** A chat message's text: 1 to 500 characters after trimming, no control characters but newlines. */
export const messageTextSchema: z.ZodType<string, string> = z
  .string({ error: 'A message must be text.' })
  .trim()
  .min(1, { error: 'Type a message first.', abort: true })
  .max(MESSAGE_MAX_LENGTH, {
    error: `Messages can be at most ${MESSAGE_MAX_LENGTH} characters long.`,
    abort: true,
  })
  .refine((text) => !CONTROL.test(text), { error: 'Messages cannot hold control characters.' })

/** `join` (first, once: enter the room under a nickname) or `message` (say something). */
export type ClientMessage =
  | { type: 'join'; nickname: string }
  | { type: 'message'; message: string }

/** Validates a decoded client frame; unknown keys and unknown types are refused. */
export const clientMessageSchema: z.ZodType<ClientMessage> = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('join'), nickname: nicknameSchema }),
    z.strictObject({ type: z.literal('message'), message: messageTextSchema }),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? 'Unknown message type: expected "join" or "message".'
        : 'A message must be a JSON object.',
  },
)

/** A room member as clients see it: `id` is per connection, nicknames may repeat. */
export interface Member {
  id: string
  nickname: string
}

/** Validates a member read off the channel layer. */
export const memberSchema: z.ZodType<Member> = z.object({
  id: z.string().min(1).max(64),
  nickname: z.string().min(1).max(NICKNAME_MAX_LENGTH),
})

/** One chat message, as broadcast, stored in the history and sent to clients. */
export interface ChatEntry {
  /** Unique per message (a UUID). */
  id: string
  /** The sender's member id. */
  authorId: string
  nickname: string
  message: string
  /** When the server took it, in milliseconds since the epoch. */
  sentAt: number
}

/** Validates a chat entry read off the channel layer or the history store. */
export const chatEntrySchema: z.ZodType<ChatEntry> = z.object({
  id: z.string().min(1).max(64),
  authorId: z.string().min(1).max(64),
  nickname: z.string().min(1).max(NICKNAME_MAX_LENGTH),
  message: z.string().min(1).max(MESSAGE_MAX_LENGTH),
  sentAt: z.number().int().nonnegative(),
})

/** Why a request was refused; `invalid_message` comes with the schema's issues. */
export type ErrorCode =
  | 'invalid_json'
  | 'binary_frame'
  | 'invalid_message'
  | 'not_joined'
  | 'already_joined'
  | 'history_unavailable'
  | 'send_failed'

/** One schema complaint: where (`nickname`, `message`, or '' for the whole frame) and what. */
export interface Issue {
  path: string
  message: string
}

/** Everything the server sends to a client. */
export type ServerMessage =
  | { type: 'welcome'; room: string; you: Member; maxMessageLength: number }
  | { type: 'history'; messages: ChatEntry[] }
  | ({ type: 'message' } & ChatEntry)
  | { type: 'members'; members: Member[] }
  | { type: 'joined'; member: Member }
  | { type: 'left'; member: Member; reason: 'left' | 'timeout' }
  | { type: 'error'; code: ErrorCode; message: string; issues: Issue[] }

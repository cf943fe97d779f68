// The long-polling transport's formats: the JSON bodies clients exchange with the endpoints,
// and the channel-layer messages between the process that answers a request and the process
// that runs the session's application instance.

import { quoteValue } from '@node-channels/core'

/** The request header carrying the session id on `poll`, `send` and `close`. */
export const SESSION_HEADER = 'node-channels-session'

/** Session ids: 128 random bits, base64url (22 characters). */
export const SESSION_ID: RegExp = /^[A-Za-z0-9_-]{22}$/

/** The layer channel a session's instance reads its input from. */
export function sessionChannel(id: string): string {
  return `long-poll.${id}`
}

/** One event in a poll answer, numbered by `seq` from 1. */
export type OutEvent =
  | { seq: number; type: 'text'; data: string }
  | { seq: number; type: 'bytes'; data: string }
  | { seq: number; type: 'close'; code: number; reason: string }

/** What `open` takes: the WebSocket request the client would have made. */
export interface OpenRequest {
  /** Path and query, as in a request target: `/ws/chat/lobby/?token=x`. */
  path: string
  subprotocols: string[]
}

/** What `send` takes: frames numbered from `seq`, so a retried request is not delivered twice. */
export interface SendRequest {
  seq: number
  frames: Array<{ text: string } | { bytes: Uint8Array }>
}

/** What `close` takes. */
export interface CloseRequest {
  code: number
  reason: string
}

/** A bad request body: answered 400 with the message. */
export class BadBody extends Error {
  override name = 'BadBody'
}

const TOKEN = /^[-!#$%&'*+.^_`|~0-9a-zA-Z]+$/
// A request target: printable ASCII only, so nothing can smuggle CR/LF or spaces.
const TARGET = /^\/[\x21-\x7e]*$/
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/
const MAX_PATH = 2048
const MAX_SUBPROTOCOLS = 16
const MAX_FRAMES = 1000

/** Parses and checks an `open` body. */
export function parseOpen(body: unknown): OpenRequest {
  const value = object(body)
  const { path, subprotocols = [] } = value as { path?: unknown; subprotocols?: unknown }
  if (typeof path !== 'string' || path.length > MAX_PATH || !TARGET.test(path)) {
    throw new BadBody(
      `"path" must be a path starting with "/" of at most ${MAX_PATH} printable ASCII characters, not ${quoteValue(path)}.`,
    )
  }
  if (
    !Array.isArray(subprotocols) ||
    subprotocols.length > MAX_SUBPROTOCOLS ||
    subprotocols.some((protocol) => typeof protocol !== 'string' || !TOKEN.test(protocol)) ||
    new Set(subprotocols).size !== subprotocols.length
  ) {
    throw new BadBody(
      `"subprotocols" must be an array of at most ${MAX_SUBPROTOCOLS} distinct tokens, not ${quoteValue(subprotocols)}.`,
    )
  }
  return { path, subprotocols: subprotocols as string[] }
}

/** Parses and checks a `send` body; binary frames are decoded from base64. */
export function parseSend(body: unknown): SendRequest {
  const { seq, frames } = object(body) as { seq?: unknown; frames?: unknown }
  if (!Number.isSafeInteger(seq) || (seq as number) < 1) {
    throw new BadBody(`"seq" must be a whole number from 1, not ${quoteValue(seq)}.`)
  }
  if (!Array.isArray(frames) || frames.length === 0 || frames.length > MAX_FRAMES) {
    throw new BadBody(
      `"frames" must be an array of 1 to ${MAX_FRAMES} frames, not ${quoteValue(frames)}.`,
    )
  }
  return {
    seq: seq as number,
    frames: frames.map((frame: unknown, index) => {
      const { type, data } = (typeof frame === 'object' && frame !== null ? frame : {}) as {
        type?: unknown
        data?: unknown
      }
      if (type === 'text' && typeof data === 'string') return { text: data }
      if (
        type === 'bytes' &&
        typeof data === 'string' &&
        BASE64.test(data) &&
        data.length % 4 === 0
      ) {
        return { bytes: new Uint8Array(Buffer.from(data, 'base64')) }
      }
      throw new BadBody(
        `frames[${index}] must be {"type":"text","data":string} or {"type":"bytes","data":base64}, not ${quoteValue(frame)}.`,
      )
    }),
  }
}

/** Parses and checks a `close` body (an empty object closes with 1000). */
export function parseClose(body: unknown): CloseRequest {
  const { code = 1000, reason = '' } = object(body) as { code?: unknown; reason?: unknown }
  if (
    code !== 1000 &&
    !(Number.isInteger(code) && (code as number) >= 3000 && (code as number) <= 4999)
  ) {
    throw new BadBody(`"code" must be 1000 or from 3000 to 4999, not ${quoteValue(code)}.`)
  }
  if (typeof reason !== 'string' || Buffer.byteLength(reason) > 123) {
    throw new BadBody(`"reason" must be a string of at most 123 bytes, not ${quoteValue(reason)}.`)
  }
  return { code: code as number, reason }
}

function object(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadBody(`The body must be a JSON object, not ${quoteValue(body)}.`)
  }
  return body as Record<string, unknown>
}

// --- messages on the channel layer ---

/** From a request's process to the session's: a poll, a send or a close, with where to answer. */
export type SessionRequest =
  | { type: 'long_poll.poll'; reply: string; origin: string | null; ack: number }
  | {
      type: 'long_poll.send'
      reply: string
      origin: string | null
      seq: number
      frames: SendRequest['frames']
    }
  | { type: 'long_poll.close'; reply: string; origin: string | null; code: number; reason: string }

/** From the session's process back to the request's. */
export type SessionReply =
  | { type: 'long_poll.events'; events: OutEvent[] }
  | { type: 'long_poll.wait' }
  | { type: 'long_poll.ok' }
  | { type: 'long_poll.error'; status: number; error: string }

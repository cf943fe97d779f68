import type { Message } from '@node-channels/core'
import { quoteValue } from '@node-channels/core'
import { parseHeaders } from './http-response.js'

/** A checked `websocket.accept`: the subprotocol (one the client offered) and extra headers. */
export interface AcceptDecision {
  subprotocol: string | null
  headers: Array<[string, string]>
}

// Headers of the 101 response that the server sets; an application may not override them.
const MANAGED = new Set([
  'upgrade',
  'connection',
  'sec-websocket-accept',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
])

/**
 * Checks `websocket.accept`. The subprotocol must be one the client offered: RFC 6455 makes
 * the client fail the connection otherwise, so the server treats it as an application error
 * (HTTP 500) rather than hang as Daphne does.
 */
export function parseAccept(message: Message, offered: readonly string[]): AcceptDecision {
  const subprotocol = message.subprotocol ?? null
  if (subprotocol !== null) {
    if (typeof subprotocol !== 'string') {
      throw new Error(
        `Subprotocol ${quoteValue(subprotocol)} in websocket.accept must be a string.`,
      )
    }
    if (!offered.includes(subprotocol)) {
      throw new Error(
        `Subprotocol ${quoteValue(subprotocol)} in websocket.accept was not offered by the client ` +
          `(offered: ${quoteValue(offered)}).`,
      )
    }
  }
  const headers = parseHeaders(message.headers, 'websocket.accept')
  for (const [name] of headers) {
    if (MANAGED.has(name.toLowerCase())) {
      throw new Error(`Header ${quoteValue(name)} in websocket.accept is set by the server.`)
    }
  }
  return { subprotocol, headers }
}

/**
 * Checks `websocket.send`: exactly one of `text` (a string) or `bytes` (a Uint8Array).
 * Returns the payload: a string for a text frame, a Uint8Array for a binary one.
 */
export function parseSend(message: Message, path: string): string | Uint8Array {
  const text = message.text ?? null
  const bytes = message.bytes ?? null
  if (text !== null && bytes !== null) {
    throw new Error(
      `Got invalid WebSocket reply message on ${path} - contains both bytes and text keys`,
    )
  }
  if (text !== null) {
    if (typeof text !== 'string') {
      throw new Error(`The text of websocket.send must be a string, not ${quoteValue(text)}.`)
    }
    return text
  }
  if (bytes !== null) {
    if (!(bytes instanceof Uint8Array)) {
      throw new Error(`The bytes of websocket.send must be a Uint8Array, not ${quoteValue(bytes)}.`)
    }
    return bytes
  }
  throw new Error(
    `Got invalid WebSocket reply message on ${path} - contains neither bytes nor text`,
  )
}

/** Checks `websocket.close`: `code` defaults to 1000, `reason` to '' (at most 123 UTF-8 bytes). */
export function parseClose(message: Message): { code: number; reason: string } {
  const code = message.code ?? 1000
  if (typeof code !== 'number' || !isSendableCloseCode(code)) {
    throw new Error(
      `Close code ${quoteValue(code)} in websocket.close is not one an endpoint may send ` +
        '(1000-1003, 1007-1014 or 3000-4999).',
    )
  }
  const reason = message.reason ?? ''
  if (typeof reason !== 'string') {
    throw new Error(`Close reason ${quoteValue(reason)} in websocket.close must be a string.`)
  }
  if (Buffer.byteLength(reason) > 123) {
    throw new Error(`Close reason in websocket.close is over 123 bytes: ${quoteValue(reason)}.`)
  }
  return { code, reason }
}

/** The close codes RFC 6455 (and ws) allow in a close frame. */
function isSendableCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false
  if (code >= 3000 && code <= 4999) return true
  return code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006
}

/** The close code sent for each error of ws's frame parser (nothing is read afterwards). */
const FAIL_CODES: Record<string, number> = {
  WS_ERR_INVALID_UTF8: 1007,
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 1009,
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: 1009,
  WS_ERR_TOO_MANY_BUFFERED_PARTS: 1008,
}

/** The close code a connection is failed with, from the code of the parser's error (`WS_ERR_...`). */
export function failCodeOf(errorCode: string): number {
  return FAIL_CODES[errorCode] ?? 1002
}

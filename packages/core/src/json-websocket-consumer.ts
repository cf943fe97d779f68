import type { z } from 'zod'
import { queueSend } from './consumer.js'
import { quoteValue as quote } from './quote-value.js'
import type { Message } from './types.js'
import { WebsocketConsumer, type WebsocketFrame } from './websocket-consumer.js'

/** The close code `receiveInvalid()` uses by default: 1003 for binary, 1007 for bad data. */
export type InvalidFrameCloseCode = 1003 | 1007

/** Options of `new InvalidFrameError()`. */
export interface InvalidFrameErrorOptions extends ErrorOptions {
  /** The schema's complaints, when the content failed the schema. @default [] */
  issues?: readonly z.core.$ZodIssue[]
}

/**
 * A frame a JSON consumer cannot take: binary (close code 1003, "unsupported data"), not JSON
 * (empty text included) or not valid against the schema (1007, "invalid frame payload data").
 * Handed to `receiveInvalid()`; Channels crashes the consumer with a ValueError instead.
 */
export class InvalidFrameError extends Error {
  override name = 'InvalidFrameError'
  /** The WebSocket close code that answers this frame. */
  readonly closeCode: InvalidFrameCloseCode
  /** The zod issues, when the content failed the schema; empty otherwise. */
  readonly issues: readonly z.core.$ZodIssue[]

  constructor(
    message: string,
    closeCode: InvalidFrameCloseCode,
    options: InvalidFrameErrorOptions = {},
  ) {
    super(message, options)
    this.closeCode = closeCode
    this.issues = options.issues ?? []
  }
}

/** Options of `sendJson()`. Mirrors `send_json(content, close=False)`. */
export interface SendJsonOptions {
  /** Close after sending: `true` with no code, a number with that code. */
  close?: boolean | number
}

/**
 * A WebSocket consumer that speaks JSON text frames: `receiveJson(content)` and
 * `sendJson(content)`. Give it a zod `schema` to validate (and type) incoming content.
 * A frame that is binary, not JSON or invalid never crashes it: it goes to
 * `receiveInvalid()`, which closes with the error's code by default. Mirrors
 * `channels.generic.websocket.JsonWebsocketConsumer` and `AsyncJsonWebsocketConsumer`.
 */
export class JsonWebsocketConsumer<TContent = unknown> extends WebsocketConsumer {
  /** Validates incoming content before `receiveJson()`; its output is what that gets. */
  schema: z.ZodType<TContent> | null = null

  /** Encodes outgoing content (override for other encoders). Mirrors `encode_json`. */
  static encodeJson(content: unknown): string {
    const text = JSON.stringify(content)
    if (text === undefined) {
      throw new TypeError(`Cannot encode ${quote(content)} as JSON.`)
    }
    return text
  }

  /** Turns the content a relay returned into a text frame, encoded with `encodeJson` (once per group send). */
  static override relayMessage(content: unknown): Message {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass, whose encodeJson may be its own.
    return { type: 'websocket.send', text: this.encodeJson(content) }
  }

  /**
   * Decodes an incoming text frame. Keys that could rewrite a prototype when user code merges
   * the content (`__proto__`, and `constructor` holding a `prototype`) are dropped.
   * Mirrors `decode_json`.
   */
  static decodeJson(text: string): unknown {
    return parseJson(text)
  }

  /**
   * Decodes (and validates) each text frame, then calls `receiveJson()`. Without a schema it
   * returns what `receiveJson()` returns, so a sync `receiveJson()` keeps the path sync.
   */
  override receive(frame: WebsocketFrame): void | Promise<void> {
    const { textData, bytesData } = frame
    if (typeof textData !== 'string') {
      const size = bytesData instanceof Uint8Array ? bytesData.byteLength : 0
      return this.receiveInvalid(
        new InvalidFrameError(
          `Expected a JSON text frame, got a binary frame of ${size} bytes.`,
          1003,
        ),
      )
    }
    const codec = this.constructor as typeof JsonWebsocketConsumer
    let content: unknown
    try {
      content = codec.decodeJson(textData)
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      return this.receiveInvalid(
        new InvalidFrameError(`The text frame is not valid JSON: ${reason}`, 1007, {
          cause: error,
        }),
      )
    }
    if (this.schema !== null) return this.#receiveValid(this.schema, content)
    return this.receiveJson(content as TContent)
  }

  /** Validates content against the schema, then calls `receiveJson()` with zod's output. */
  async #receiveValid(schema: z.ZodType<TContent>, content: unknown): Promise<void> {
    const result = await schema.safeParseAsync(content)
    if (!result.success) {
      // Loaded here, not with the module: a schema's owner has zod loaded already, and an
      // application without one need not pay for it (about 3 MB of heap).
      const { prettifyError } = await import('zod')
      return this.receiveInvalid(
        new InvalidFrameError(
          `The JSON content does not match the schema:\n${prettifyError(result.error)}`,
          1007,
          { issues: result.error.issues, cause: result.error },
        ),
      )
    }
    await this.receiveJson(result.data)
  }

  /** Called with each decoded (and validated) message. The default ignores it. */
  receiveJson(_content: TContent): void | Promise<void> {}

  /**
   * Called with a frame the consumer cannot take. The default closes the connection with
   * `error.closeCode` (1003 or 1007); override to answer differently, or rethrow to crash.
   */
  receiveInvalid(error: InvalidFrameError): void | Promise<void> {
    return this.close({ code: error.closeCode })
  }

  /** Encodes content with `encodeJson` and sends it as a text frame. Mirrors `send_json`. */
  sendJson(content: unknown, options: SendJsonOptions = {}): Promise<void> {
    const codec = this.constructor as typeof JsonWebsocketConsumer
    let textData: string
    try {
      textData = codec.encodeJson(content)
    } catch (error) {
      // Through the send queue, so a sync handler that does not await still fails with it.
      return queueSend(this, () => {
        throw error
      })
    }
    return this.send({ textData, close: options.close })
  }
}

// --- helpers ---

// A key that may be spelled with \u escapes is only visible to the parser, so any text with
// an escape takes the careful path too.
const MAYBE_UNSAFE = /__proto__|constructor|\\u/

/** `JSON.parse`, without `__proto__` keys or `constructor` objects that hold a `prototype`. */
function parseJson(text: string): unknown {
  if (!MAYBE_UNSAFE.test(text)) return JSON.parse(text)
  return JSON.parse(text, (key, value: unknown) => {
    if (key === '__proto__') return undefined
    if (
      key === 'constructor' &&
      typeof value === 'object' &&
      value !== null &&
      Object.hasOwn(value, 'prototype')
    ) {
      return undefined
    }
    return value
  })
}

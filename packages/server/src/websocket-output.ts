import type { Writable } from 'node:stream'
import {
  encodeFrame,
  frameHeader,
  headerLength,
  LargeText,
  textFrame,
  WHOLE_FRAME_LIMIT,
} from './websocket-frames.js'

/*
 * The server's WebSocket output path, built beside ws rather than through `ws.send()`.
 *
 * ws (^8) owns the socket after the upgrade, and every frame of its own (close, ping, pong)
 * goes straight to that same socket with `socket.write()`: its Sender only queues when
 * permessage-deflate or Blob data is in use, and the server turns the one off and never sends
 * the other. So a data frame written here to the socket lands in order with ws's frames, and
 * ws's `bufferedAmount` (the socket's `writableLength`) counts it. Tests in
 * websocket-output.test.ts hold ws to that.
 */

/** Sockets with more than this corked are flushed at once rather than at the end of the turn. */
export const EARLY_FLUSH_BYTES: number = 64 * 1024
/** Distinct frames remembered within one turn (besides the last one). */
const CACHED_FRAMES = 32
/** Frames larger than this are only reused while they are the last one built. */
const CACHED_FRAME_BYTES = 64 * 1024
/** Large texts decoded from clients that are remembered, with their bytes, until the flush. */
const DECODED_KEPT = 16

/**
 * Batches a server's WebSocket output per event-loop turn: a socket is corked on its first
 * message of the turn and every corked socket is uncorked once the turn's work is done, so
 * what one turn sends to a socket leaves in one `writev`. A message sent to many sockets in
 * the same turn (a group send) is framed once: frames are remembered until the flush, text
 * by its value, bytes by the array's identity (and checked to be unchanged). Binary messages
 * of WHOLE_FRAME_LIMIT bytes and more are neither copied nor kept: they go out at once, with
 * what was corked before them, as `ws.send()` would send them.
 * The flush runs on `process.nextTick`, after the microtasks of the callback that wrote:
 * measured against `setImmediate`, it costs the same CPU per message and sends sooner.
 * Mirrors nothing in Daphne (Twisted writes each frame); it is the `ws` cork pattern.
 */
export class OutputBatch {
  readonly #corked: Writable[] = []
  #scheduled = false
  #lastText: string | null = null
  #lastTextFrame: Buffer | LargeText | null = null
  readonly #texts = new Map<string, Buffer | LargeText>()
  #lastBytes: Uint8Array | null = null
  #lastBytesFrame: Buffer | null = null
  readonly #bytes = new Map<Uint8Array, Buffer>()
  /** Large texts decoded this turn and the bytes they came as (a ring of DECODED_KEPT, emptied each turn). */
  readonly #decodedTexts: string[] = []
  readonly #decodedBytes: Buffer[] = []
  #decodedNext = 0
  /** The last small text decoded from a client, and its bytes, until the next flush (any equal text has exactly these bytes). */
  #smallText: string | null = null
  #smallBytes: Buffer | null = null
  readonly #flush = (): void => this.flush()

  /** Sockets corked now, waiting for the flush. */
  get pending(): number {
    return this.#corked.length
  }

  /**
   * Writes one message to `socket` as a text (string) or binary (Uint8Array) frame; returns
   * the bytes the socket holds unsent afterwards (its `writableLength`, which is ws's
   * `bufferedAmount`: see above).
   */
  write(socket: Writable, payload: string | Uint8Array): number {
    if (typeof payload === 'string') {
      const frame = this.#textFrame(payload)
      this.#cork(socket)
      if (frame instanceof LargeText) {
        socket.write(frame.header)
        socket.write(frame.payload)
      } else {
        socket.write(frame)
      }
    } else if (payload.byteLength + headerLength(payload.byteLength) >= WHOLE_FRAME_LIMIT) {
      this.#cork(socket)
      socket.write(frameHeader(payload.byteLength, true))
      socket.write(payload)
      // Uncopied, so it leaves now: the caller may reuse the array once the socket took it.
      socket.uncork()
      socket.cork()
      return socket.writableLength
    } else {
      const frame = this.#binaryFrame(payload)
      this.#cork(socket)
      socket.write(frame)
    }
    const buffered = socket.writableLength
    if (buffered < EARLY_FLUSH_BYTES) return buffered
    // Large output leaves now, so corking never holds back more than a socket buffer's worth.
    socket.uncork()
    socket.cork()
    return socket.writableLength
  }

  /**
   * Notes that a client's text message `bytes` was decoded to `text` (ws checked it is valid
   * UTF-8, so the bytes are exactly the text's encoding). If a text equal to it is sent before
   * the end of the turn (an echo, a relay to a group), its frame carries these bytes and the
   * text is not encoded again: the last small text is kept until the flush, large ones until
   * the turn's I/O is done.
   */
  decoded(text: string, bytes: Buffer): void {
    if (bytes.length + headerLength(bytes.length) < WHOLE_FRAME_LIMIT) {
      this.#smallText = text
      this.#smallBytes = bytes
      return
    }
    const slot = this.#decodedNext
    if (this.#decodedTexts.length === 0) setImmediate(this.#forgetDecoded)
    this.#decodedTexts[slot] = text
    this.#decodedBytes[slot] = bytes
    this.#decodedNext = (slot + 1) % DECODED_KEPT
  }

  /**
   * Forgets the decoded texts once the turn's I/O callbacks and what they started are done
   * (a check-phase callback: the flush's `nextTick` can run before the handlers that send).
   */
  readonly #forgetDecoded = (): void => {
    this.#decodedTexts.length = 0
    this.#decodedBytes.length = 0
    this.#decodedNext = 0
  }

  /** Uncorks every socket corked this turn and forgets the turn's frames. */
  flush(): void {
    this.#scheduled = false
    const corked = this.#corked
    if (corked.length === 1) {
      // The common turn (one socket written): pop() is cheaper than truncating the array.
      corked.pop()?.uncork()
    } else {
      // Indexed: a write during an uncork (none is expected) is flushed in the same pass.
      for (let i = 0; i < corked.length; i++) corked[i]?.uncork()
      corked.length = 0
    }
    this.#smallText = null
    this.#smallBytes = null
    this.#lastText = null
    this.#lastTextFrame = null
    this.#lastBytes = null
    this.#lastBytesFrame = null
    if (this.#texts.size > 0) this.#texts.clear()
    if (this.#bytes.size > 0) this.#bytes.clear()
  }

  #cork(socket: Writable): void {
    if (socket.writableCorked !== 0) return
    socket.cork()
    this.#corked.push(socket)
    if (!this.#scheduled) {
      this.#scheduled = true
      process.nextTick(this.#flush)
    }
  }

  /** The bytes a client sent `text` as this turn, if it is a large text decoded this turn. */
  #encodingOf(text: string): Buffer | undefined {
    const texts = this.#decodedTexts
    // Newest first: an echo sends back what was decoded last. `===` compares by value, so
    // an equal text decoded from other bytes serves as well (its bytes are the same).
    for (let i = texts.length, slot = this.#decodedNext; i > 0; i--) {
      slot = (slot + DECODED_KEPT - 1) % DECODED_KEPT
      if (texts[slot] === text) return this.#decodedBytes[slot]
    }
    return undefined
  }

  #textFrame(text: string): Buffer | LargeText {
    const last = this.#lastTextFrame
    if (last !== null && text === this.#lastText) return shared(last)
    const cached = this.#texts.size > 0 ? this.#texts.get(text) : undefined
    let frame: Buffer | LargeText
    if (cached !== undefined) frame = shared(cached)
    else if (text === this.#smallText) frame = textFrame(text, this.#smallBytes ?? undefined)
    else if (this.#decodedTexts.length > 0) frame = textFrame(text, this.#encodingOf(text))
    else frame = textFrame(text)
    // The previous frame is remembered only once a second one is built in the same turn, so
    // a turn with one message (an echo) costs no map work.
    if (last !== null && this.#lastText !== null) remember(this.#texts, this.#lastText, last)
    this.#lastText = text
    this.#lastTextFrame = frame
    return frame
  }

  #binaryFrame(bytes: Uint8Array): Buffer {
    const last = this.#lastBytesFrame
    let frame = last !== null && bytes === this.#lastBytes ? last : undefined
    if (frame === undefined && this.#bytes.size > 0) frame = this.#bytes.get(bytes)
    if (frame !== undefined && carries(frame, bytes)) {
      if (frame === last) return frame
    } else {
      frame = encodeFrame(bytes, true)
      // A stale entry (the array was changed since) must not be found again.
      if (this.#bytes.size > 0) this.#bytes.delete(bytes)
    }
    if (last !== null && this.#lastBytes !== null && this.#lastBytes !== bytes) {
      remember(this.#bytes, this.#lastBytes, last)
    }
    this.#lastBytes = bytes
    this.#lastBytesFrame = frame
    return frame
  }
}

/** A frame about to be written to one more socket: a large text is then encoded once. */
function shared(frame: Buffer | LargeText): Buffer | LargeText {
  return frame instanceof Uint8Array ? frame : frame.share()
}

/** Keeps a frame for the rest of the turn, within the cache's bounds. */
function remember<K, F extends Buffer | LargeText>(cache: Map<K, F>, key: K, frame: F): void {
  if (frame.length <= CACHED_FRAME_BYTES && (cache.size < CACHED_FRAMES || cache.has(key))) {
    cache.set(key, frame)
  }
}

/** True when `frame`'s payload is exactly `bytes` (an application may reuse an array). */
function carries(frame: Buffer, bytes: Uint8Array): boolean {
  const offset = frame.length - bytes.byteLength
  if (offset !== headerLength(bytes.byteLength)) return false
  return frame.compare(bytes, 0, bytes.byteLength, offset) === 0
}

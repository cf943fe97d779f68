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
 * The server's WebSocket output path for data frames; the control frames (close, ping, pong)
 * are the link's (websocket-link.ts), which writes each straight to the socket with
 * `socket.write()`, after having the batch write what it holds for the socket
 * (`OutputBatch.release`). So a data frame written here lands in order with the link's
 * frames, and the socket's `writableLength` counts it once written. Tests in
 * websocket-output.test.ts hold the two to that.
 */

/** Sockets holding more than this are written at once rather than at the end of the turn. */
export const EARLY_FLUSH_BYTES: number = 64 * 1024
/**
 * Once the batch holds this much in all (large frames, a group send), a pass of its oldest
 * output (FLUSH_PASS_SOCKETS sockets) is written at the next tick, so large output does not
 * wait for the whole turn; what is left leaves in the end-of-turn passes.
 */
export const TURN_HOLD_BYTES: number = 64 * 1024
/**
 * The end-of-turn flush writes at most this many sockets per pass (one `setImmediate` each),
 * so the event loop reads I/O between passes: a large group's writes no longer hold up the
 * reply a group sender awaits (and so its next send), and what arrives for a socket still
 * waiting leaves in the same write. In the benchmark's burst of group sends over Redis (500
 * members per process), a receiving process went from 1.0 to 1.5-2 frames per socket write and
 * the cell's rate rose by 18-85% in four alternating pairs of runs; with 1,000 members per
 * process (past TURN_HOLD_BYTES, once that flush also wrote a pass instead of everything) by
 * 69-136% in two. 64-byte echoes to 200 clients (more than one pass per turn) stayed within
 * their run-to-run spread.
 */
export const FLUSH_PASS_SOCKETS: number = 64
/** A socket's output of one turn up to this size, in small pieces, leaves as one copied buffer. */
export const CONCAT_BYTES: number = 16 * 1024
/** Distinct frames remembered within one turn (besides the last one). */
const CACHED_FRAMES = 32
/** Frames larger than this are only reused while they are the last one built. */
const CACHED_FRAME_BYTES = 64 * 1024
/** Large texts decoded from clients that are remembered, with their bytes, until the flush. */
const DECODED_KEPT = 16
/** One piece of a socket's output: a whole frame, a large frame's header, or its payload. */
type Piece = Buffer | string
/**
 * A socket's place in an OutputBatch, kept by whoever writes to the socket (a connection)
 * and passed with every write: `batchSlot` is where the socket's output of this turn is kept
 * in the batch (an index), or -1 when none is. Kept on the socket instead, as a symbol
 * property, it cost every write of a group send a property lookup on the socket: 15-25% of
 * a relayed delivery's time to the batch, measured in one process with 1,000 members.
 */
export interface BatchPlace {
  batchSlot: number
}

/**
 * Batches a server's WebSocket output per event-loop turn: what one turn sends to a socket is
 * held, then written with one `write` (copied into one buffer: up to CONCAT_BYTES in pieces
 * under WHOLE_FRAME_LIMIT each) or one `writev` (anything larger) once the turn's work is done. A message sent to
 * many sockets in the same turn (a group send) is framed once: frames are remembered until
 * the flush, text by its value, bytes by the array's identity (and checked to be unchanged).
 * Binary messages of WHOLE_FRAME_LIMIT bytes and more are neither copied nor kept: they go
 * out at once, after what the socket held, as `ws.send()` would send them.
 * A frame written beside the batch (the link's pong, ping or close) is written after
 * `release()`, which writes out what the batch holds for its socket: it then leaves after
 * every frame sent before it, in order. Holding frames in arrays instead of corking the
 * socket spares each frame a stream write; one write per socket per turn is what a corked
 * socket's `writev` costs.
 * The flush runs in `setImmediate`, once the I/O callbacks of the event-loop turn and the
 * microtasks they started are done: a turn that reads several clients (echoes, many senders)
 * writes each socket once, and the turn pays one scheduled callback, not one `nextTick` (and
 * its pass through Node's tick queue) per I/O callback. It writes FLUSH_PASS_SOCKETS sockets
 * per pass, in the order they first took output (a socket given more after its write takes a
 * new place at the end), reading I/O between passes. Once the batch holds TURN_HOLD_BYTES
 * in all (large messages, a group send), a pass of its oldest output is written at the next
 * tick: left to the end of the turn, 16 KiB echoes with 10 in flight per client piled up
 * (p50 latency 0.16 -> 46 ms). Measured against a `nextTick` flush in alternating runs:
 * 64-byte echoes gained 5% to 20% in rate at a lower p50 latency, 16 KiB echoes and group
 * broadcasts stayed within their run-to-run spread.
 * Mirrors nothing in Daphne (Twisted writes each frame); it is the `ws` cork pattern, without
 * the cork.
 */
export class OutputBatch {
  /**
   * The sockets holding output this turn, by slot, with their pieces and byte counts: the
   * first `#count` entries (the arrays keep their length between turns, so a turn does not
   * grow them again; entries are cleared at the flush).
   */
  readonly #sockets: (Writable | null)[] = []
  readonly #places: (BatchPlace | null)[] = []
  readonly #pieces: (Piece | Piece[] | null)[] = []
  readonly #bytes: number[] = []
  #count = 0
  /** The first slot the end-of-turn flush has not written yet (see FLUSH_PASS_SOCKETS). */
  #next = 0
  /** What each socket held unsent (`writableLength`) when it first took output this turn. */
  readonly #unsent: number[] = []
  /** True while a flush is scheduled at the end of the turn (`setImmediate`). */
  #atTurnEnd = false
  /** True while a flush is scheduled at the next tick (the batch holds TURN_HOLD_BYTES). */
  #atNextTick = false
  /** Bytes held since the last flush, over all sockets. */
  #heldBytes = 0
  #lastText: string | null = null
  #lastTextFrame: Buffer | LargeText | null = null
  readonly #texts = new Map<string, Buffer | LargeText>()
  #lastBytes: Uint8Array | null = null
  #lastBytesFrame: Buffer | null = null
  readonly #bytesFrames = new Map<Uint8Array, Buffer>()
  /** Large texts decoded this turn and the bytes they came as (a ring of DECODED_KEPT, emptied each turn). */
  readonly #decodedTexts: string[] = []
  readonly #decodedBytes: Buffer[] = []
  #decodedNext = 0
  /** The last small text decoded from a client, and its bytes, until the next flush (any equal text has exactly these bytes). */
  #smallText: string | null = null
  #smallBytes: Buffer | null = null
  /** The pieces last copied into one buffer this turn, and that buffer (see `#joined`). */
  #lastPieces: Buffer[] | null = null
  #lastJoined: Buffer | null = null
  /** The next tick's pass once the batch holds TURN_HOLD_BYTES. */
  readonly #writeHeld = (): void => {
    this.#atNextTick = false
    this.#writePass()
  }
  /** An end-of-turn pass; the next one follows the event loop's next I/O. */
  readonly #turnEnded = (): void => {
    this.#atTurnEnd = false
    if (this.#writePass()) return
    this.#atTurnEnd = true
    setImmediate(this.#turnEnded)
  }
  /** Sockets holding output now, waiting for the flush. */
  get pending(): number {
    let count = 0
    for (let slot = 0; slot < this.#count; slot++) if (this.#pieces[slot] !== null) count++
    return count
  }

  /** Slots in use: those waiting, and those written since the last pass that moved them up. */
  get slots(): number {
    return this.#count
  }

  /**
   * Writes one message to `socket` as a text (string) or binary (Uint8Array) frame; returns
   * the bytes the socket holds unsent afterwards: what the batch holds for it plus its
   * `writableLength` (ws's `bufferedAmount`: see above), for `maxBufferedBytes`. `place` is
   * the socket's place in the batch: the same object for every write to that socket.
   */
  write(socket: Writable, payload: string | Uint8Array, place: BatchPlace): number {
    let held: number
    if (typeof payload === 'string') {
      const frame = this.#textFrame(payload)
      if (frame instanceof LargeText) {
        this.#hold(socket, place, frame.header, frame.header.length)
        held = this.#hold(socket, place, frame.payload, frame.length - frame.header.length)
      } else {
        held = this.#hold(socket, place, frame, frame.length)
      }
    } else if (payload.byteLength + headerLength(payload.byteLength) >= WHOLE_FRAME_LIMIT) {
      // Uncopied, so it leaves now: the caller may reuse the array once the socket took it.
      // Corked first, so what the socket held leaves with it in one writev.
      socket.cork()
      this.release(socket, place)
      socket.write(frameHeader(payload.byteLength, true))
      socket.write(payload)
      socket.uncork()
      return socket.writableLength
    } else {
      const frame = this.#binaryFrame(payload)
      held = this.#hold(socket, place, frame, frame.length)
    }
    // The socket's own backlog as of its first output this turn: it only shrinks meanwhile.
    if (held < EARLY_FLUSH_BYTES) return held + (this.#unsent[place.batchSlot] as number)
    // Large output leaves now, so the batch never holds back more than a socket buffer's worth.
    this.#release(socket, place.batchSlot)
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
   * (a check-phase callback, like the flush, which may run before or after it).
   */
  readonly #forgetDecoded = (): void => {
    this.#decodedTexts.length = 0
    this.#decodedBytes.length = 0
    this.#decodedNext = 0
  }

  /** Writes out what every socket holds and forgets the turn's frames. */
  flush(): void {
    this.#atNextTick = false
    this.#writeSlots(Number.POSITIVE_INFINITY)
    this.#heldBytes = 0
    this.#count = 0
    this.#next = 0
    this.#forgetFrames()
  }

  /**
   * Forgets the frames built and copied so far (at the flush, and after each pass: a batch
   * that never empties keeps none longer).
   */
  #forgetFrames(): void {
    this.#lastPieces = null
    this.#lastJoined = null
    this.#smallText = null
    this.#smallBytes = null
    this.#lastText = null
    this.#lastTextFrame = null
    this.#lastBytes = null
    this.#lastBytesFrame = null
    if (this.#texts.size > 0) this.#texts.clear()
    if (this.#bytesFrames.size > 0) this.#bytesFrames.clear()
  }

  /**
   * Writes one pass: the FLUSH_PASS_SOCKETS oldest sockets holding output. Returns true when
   * that emptied the batch (then reset as by `flush()`).
   */
  #writePass(): boolean {
    this.#writeSlots(this.#next + FLUSH_PASS_SOCKETS)
    if (this.#next >= this.#count) {
      this.flush()
      return true
    }
    this.#compact()
    this.#forgetFrames()
    return false
  }

  /** Writes the sockets of the slots from `#next` up to `end` (or `#count`, if lower). */
  #writeSlots(end: number): void {
    const sockets = this.#sockets
    const pieces = this.#pieces
    let slot = this.#next
    // Against `#count` each time: a socket taking output during the flush (none is expected)
    // is written in the same call.
    for (; slot < end && slot < this.#count; slot++) {
      if (pieces[slot] !== null) this.#release(sockets[slot] as Writable, slot)
      sockets[slot] = null
      this.#places[slot] = null
    }
    this.#next = slot
  }

  /**
   * After a pass, moves the slots still holding output to the front once the slots written are
   * as many as the rest, so a batch given output for more than a pass's sockets in every pass
   * (it then never empties) keeps fewer than twice its waiting sockets plus a pass in slots.
   */
  #compact(): void {
    const next = this.#next
    const count = this.#count
    if (next < count - next) return
    const sockets = this.#sockets
    const places = this.#places
    const pieces = this.#pieces
    let to = 0
    for (let from = next; from < count; from++) {
      const held = pieces[from] as Piece | Piece[] | null
      // Released early (EARLY_FLUSH_BYTES, a frame of the link's): dropped. Any later output of its
      // socket is in a later slot, whose move sets the socket's place.
      if (held === null) continue
      const place = places[from] as BatchPlace
      sockets[to] = sockets[from] as Writable
      places[to] = place
      pieces[to] = held
      this.#bytes[to] = this.#bytes[from] as number
      this.#unsent[to] = this.#unsent[from] as number
      place.batchSlot = to
      to++
    }
    for (let slot = to; slot < count; slot++) {
      sockets[slot] = null
      places[slot] = null
      pieces[slot] = null
    }
    this.#count = to
    this.#next = 0
  }

  /** Adds `piece` (`length` bytes) to what `socket` holds this turn; returns the bytes it holds. */
  #hold(socket: Writable, place: BatchPlace, piece: Piece, length: number): number {
    this.#heldBytes += length
    if (this.#heldBytes >= TURN_HOLD_BYTES && !this.#atNextTick) {
      this.#atNextTick = true
      process.nextTick(this.#writeHeld)
    }
    const slot = place.batchSlot
    if (slot < 0) {
      const next = this.#count++
      place.batchSlot = next
      this.#sockets[next] = socket
      this.#places[next] = place
      this.#pieces[next] = piece
      this.#bytes[next] = length
      this.#unsent[next] = socket.writableLength
      if (!this.#atTurnEnd) {
        this.#atTurnEnd = true
        setImmediate(this.#turnEnded)
      }
      return length
    }
    const held = this.#pieces[slot] as Piece | Piece[]
    if (Array.isArray(held)) held.push(piece)
    else this.#pieces[slot] = [held, piece]
    const bytes = (this.#bytes[slot] as number) + length
    this.#bytes[slot] = bytes
    return bytes
  }

  /**
   * Writes what the batch holds for `socket` (written with `place`) now, before a frame
   * written beside the batch: the link's pings, pongs and close frame.
   */
  release(socket: Writable, place: BatchPlace): void {
    const slot = place.batchSlot
    if (slot >= 0) this.#release(socket, slot)
  }

  /** Writes what `socket` holds in `slot` now; it holds nothing afterwards. */
  #release(socket: Writable, slot: number): void {
    const held = this.#pieces[slot] as Piece | Piece[]
    this.#pieces[slot] = null
    this.#heldBytes -= this.#bytes[slot] as number
    ;(this.#places[slot] as BatchPlace).batchSlot = -1
    // Ended or destroyed meanwhile (the link ends a socket only after its close frame, which
    // released this): what is held could not leave.
    if (!socket.writable) return
    if (!Array.isArray(held)) {
      socket.write(held)
      return
    }
    const bytes = this.#bytes[slot] as number
    if (bytes <= CONCAT_BYTES && allSmall(held)) {
      socket.write(this.#joined(held, bytes))
      return
    }
    socket.cork()
    for (const piece of held) socket.write(piece)
    socket.uncork()
  }

  /**
   * `pieces` copied into one buffer of `bytes` bytes; the last socket's buffer again when its
   * pieces were the same frames in the same order (the members of a group sent the same
   * messages in a turn), as a written buffer is only read. Copying each member's frames
   * cost a burst of ten group sends to 1,000 members about 1.2 µs per socket (V8's CPU
   * profile of bench/src/tools/group-send-path.ts), more than the sends themselves.
   */
  #joined(pieces: Buffer[], bytes: number): Buffer {
    const last = this.#lastPieces
    if (last !== null && samePieces(last, pieces)) return this.#lastJoined as Buffer
    const joined = Buffer.concat(pieces, bytes)
    this.#lastPieces = pieces
    this.#lastJoined = joined
    return joined
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
    if (frame === undefined && this.#bytesFrames.size > 0) frame = this.#bytesFrames.get(bytes)
    if (frame !== undefined && carries(frame, bytes)) {
      if (frame === last) return frame
    } else {
      frame = encodeFrame(bytes, true)
      // A stale entry (the array was changed since) must not be found again.
      if (this.#bytesFrames.size > 0) this.#bytesFrames.delete(bytes)
    }
    if (last !== null && this.#lastBytes !== null && this.#lastBytes !== bytes) {
      remember(this.#bytesFrames, this.#lastBytes, last)
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

/** True when every piece is a Buffer under WHOLE_FRAME_LIMIT bytes (a large text's payload is not copied). */
function allSmall(pieces: Piece[]): pieces is Buffer[] {
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i] as Piece
    if (typeof piece === 'string' || piece.length >= WHOLE_FRAME_LIMIT) return false
  }
  return true
}

/** True when `a` and `b` hold the same buffers in the same order. */
function samePieces(a: Buffer[], b: Buffer[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
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

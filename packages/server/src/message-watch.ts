import type { Duplex } from 'node:stream'

/**
 * Follows the frames a client sends (RFC 6455 §5.2), reading only their headers and counting
 * payload bytes past, to know whether a message is partly received: a frame still arriving,
 * or a fragmented message whose final frame has not come. ws holds such bytes until the
 * message completes; this is how the server notices a client that never completes it.
 */
export class FrameTracker {
  /** First header byte of the frame being read (FIN and opcode). */
  #first = 0
  #headerRead = 0
  #headerNeeded = 2
  /** Where the extended payload length ends in the header. */
  #lengthEnd = 2
  #length = 0
  #payloadLeft = 0
  /** A data message (text, binary, continuation) has begun and its final frame has not ended. */
  #messageOpen = false
  #startedAt: number | null = null

  /** When the frame or message now arriving began, or `null` between messages. */
  get pendingSince(): number | null {
    return this.#startedAt
  }

  /** Counts a message in progress as begun at `now`: the wait was not the client's doing. */
  postpone(now: number): void {
    if (this.#startedAt !== null) this.#startedAt = now
  }

  /** Takes the next bytes of the stream, received at `now` (milliseconds). */
  push(chunk: Uint8Array, now: number): void {
    let offset = 0
    const end = chunk.length
    while (offset < end) {
      if (this.#payloadLeft > 0) {
        const skipped = Math.min(this.#payloadLeft, end - offset)
        this.#payloadLeft -= skipped
        offset += skipped
        if (this.#payloadLeft === 0) this.#endFrame()
        continue
      }
      const byte = chunk[offset++] ?? 0
      const read = ++this.#headerRead
      if (read === 1) {
        this.#first = byte
        this.#startedAt ??= now
      } else if (read === 2) {
        const length7 = byte & 0x7f
        this.#lengthEnd = 2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0)
        this.#headerNeeded = this.#lengthEnd + (byte & 0x80 ? 4 : 0)
        this.#length = length7 >= 126 ? 0 : length7
      } else if (read <= this.#lengthEnd) {
        // Lengths past 2^53 lose precision; ws fails such a frame (over maxPayload) anyway.
        this.#length = this.#length * 256 + byte
      }
      if (read === this.#headerNeeded) this.#startPayload()
    }
  }

  #startPayload(): void {
    this.#headerRead = 0
    this.#headerNeeded = 2
    this.#payloadLeft = this.#length
    if (this.#length === 0) this.#endFrame()
  }

  #endFrame(): void {
    const fin = (this.#first & 0x80) !== 0
    const control = (this.#first & 0x0f) >= 0x08
    if (!control) this.#messageOpen = !fin
    if (!this.#messageOpen) this.#startedAt = null
  }
}

/**
 * Calls `onTimeout` once if a message from the client stays partly received for `timeoutMs`.
 * The connection feeds it every chunk read from the raw socket (`push`), before ws parses
 * it, and stops it when the connection ends. Time the socket spends paused (the server not
 * reading, for backpressure) does not count.
 */
export class MessageWatch {
  readonly #tracker = new FrameTracker()
  readonly #socket: Duplex
  readonly #timeoutMs: number
  readonly #onTimeout: () => void
  #timer: NodeJS.Timeout | null = null
  #done = false

  constructor(socket: Duplex, timeoutMs: number, onTimeout: () => void) {
    this.#socket = socket
    this.#timeoutMs = timeoutMs
    this.#onTimeout = onTimeout
  }

  /** Takes the next bytes read from the socket, at `now` (`performance.now()`). */
  push(chunk: Uint8Array, now: number): void {
    if (this.#done) return
    this.#tracker.push(chunk, now)
    if (this.#timer === null) this.#arm(now)
  }

  /** Stops watching (the connection ended). */
  stop(): void {
    this.#done = true
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
  }

  #arm(now: number): void {
    const since = this.#tracker.pendingSince
    if (since === null || this.#done) return
    this.#timer = setTimeout(
      MessageWatch.#check,
      Math.max(0, this.#timeoutMs - (now - since)),
      this,
    )
  }

  /** The timer's callback: one function for every watch, so no closure per connection. */
  static #check(watch: MessageWatch): void {
    watch.#timer = null
    const tracker = watch.#tracker
    const since = tracker.pendingSince
    if (since === null || watch.#done) return
    const now = performance.now()
    if (watch.#socket.isPaused()) {
      tracker.postpone(now)
      watch.#arm(now)
    } else if (now - since >= watch.#timeoutMs) {
      watch.stop()
      watch.#onTimeout()
    } else {
      watch.#arm(now)
    }
  }
}

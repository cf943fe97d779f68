import type { Duplex } from 'node:stream'

/**
 * Follows the frames a client sends (RFC 6455 §5.2), reading only their headers and counting
 * payload bytes past, to know whether a message is partly received: a frame still arriving,
 * or a fragmented message whose final frame has not come. ws holds such bytes until the
 * message completes; this is how the server notices a client that never completes it.
 */
export class FrameTracker {
  readonly #header = Buffer.alloc(14)
  #headerLength = 0
  #headerNeeded = 2
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
    while (offset < chunk.length) {
      if (this.#payloadLeft > 0) {
        const skipped = Math.min(this.#payloadLeft, chunk.length - offset)
        this.#payloadLeft -= skipped
        offset += skipped
        if (this.#payloadLeft === 0) this.#endFrame()
        continue
      }
      const byte = chunk[offset++] ?? 0
      this.#header[this.#headerLength++] = byte
      if (this.#headerLength === 1) {
        this.#startedAt ??= now
      } else if (this.#headerLength === 2) {
        const length7 = byte & 0x7f
        const extended = length7 === 126 ? 2 : length7 === 127 ? 8 : 0
        this.#headerNeeded = 2 + extended + (byte & 0x80 ? 4 : 0)
      }
      if (this.#headerLength === this.#headerNeeded) this.#startPayload()
    }
  }

  #startPayload(): void {
    const header = this.#header
    const length7 = (header[1] ?? 0) & 0x7f
    let length = length7
    if (length7 === 126) length = header.readUInt16BE(2)
    // Lengths past 2^53 lose precision; ws fails such a frame (over maxPayload) anyway.
    else if (length7 === 127) length = header.readUInt32BE(2) * 2 ** 32 + header.readUInt32BE(6)
    this.#headerLength = 0
    this.#headerNeeded = 2
    this.#payloadLeft = length
    if (length === 0) this.#endFrame()
  }

  #endFrame(): void {
    const first = this.#header[0] ?? 0
    const fin = (first & 0x80) !== 0
    const control = (first & 0x0f) >= 0x08
    if (!control) this.#messageOpen = !fin
    if (!this.#messageOpen) this.#startedAt = null
  }
}

/**
 * Watches a WebSocket's raw socket and calls `onTimeout` once if a message stays partly
 * received for `timeoutMs`. Time the socket spends paused (the server not reading, for
 * backpressure) does not count. Attach it before the socket is resumed so that it sees every
 * byte. Returns a function that stops watching.
 */
export function watchMessages(
  socket: Duplex,
  timeoutMs: number,
  onTimeout: () => void,
): () => void {
  const tracker = new FrameTracker()
  let timer: NodeJS.Timeout | null = null
  let fired = false
  const arm = (): void => {
    const since = tracker.pendingSince
    if (timer !== null || since === null || fired) return
    timer = setTimeout(check, Math.max(0, timeoutMs - (performance.now() - since)))
  }
  const check = (): void => {
    timer = null
    const since = tracker.pendingSince
    if (since === null) return
    if (socket.isPaused()) {
      tracker.postpone(performance.now())
      arm()
      return
    }
    if (performance.now() - since >= timeoutMs) {
      fired = true
      stop()
      onTimeout()
    } else {
      arm()
    }
  }
  const onData = (chunk: Buffer): void => {
    tracker.push(chunk, performance.now())
    arm()
  }
  const stop = (): void => {
    socket.off('data', onData)
    socket.off('close', stop)
    if (timer !== null) clearTimeout(timer)
    timer = null
  }
  socket.on('data', onData)
  socket.once('close', stop)
  return stop
}

/** The part of a `ws` WebSocket the heartbeat needs. */
export interface Pingable {
  ping(): void
  readonly isPaused: boolean
}

/**
 * Dead-peer detection for one WebSocket: after `intervalMs` without hearing from the client
 * (any bytes it sends count: frames, pongs, or part of a message), send a ping; if nothing arrives within `timeoutMs`, call
 * `onDead` (the server then drops the socket and the application sees 1006).
 * Mirrors Daphne's `ping_interval` / `ping_timeout` (autobahn's auto-ping).
 * While the socket is paused (the application is behind on its input) frames cannot be read,
 * so the client is given the benefit of the doubt and no ping is sent.
 */
export class Heartbeat {
  readonly #socket: Pingable
  readonly #intervalMs: number
  readonly #timeoutMs: number
  readonly #onDead: () => void
  #lastSeen = performance.now()
  #pingSentAt: number | null = null
  #timer: NodeJS.Timeout | null = null

  constructor(socket: Pingable, intervalMs: number, timeoutMs: number, onDead: () => void) {
    this.#socket = socket
    this.#intervalMs = intervalMs
    this.#timeoutMs = timeoutMs
    this.#onDead = onDead
    if (intervalMs > 0) this.#schedule(intervalMs)
  }

  /** Records that the client was heard from at `now` (`performance.now()`, by default). */
  touch(now: number = performance.now()): void {
    this.#lastSeen = now
  }

  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    this.#pingSentAt = null
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(Heartbeat.#tick, Math.max(1, delayMs), this)
    this.#timer.unref()
  }

  /** The timer's callback: one function for every heartbeat, so no closure per connection. */
  static #tick(heartbeat: Heartbeat): void {
    heartbeat.#check()
  }

  #check(): void {
    this.#timer = null
    const now = performance.now()
    if (this.#pingSentAt !== null) {
      if (this.#lastSeen >= this.#pingSentAt) {
        this.#pingSentAt = null // answered (or other traffic arrived): alive
      } else if (now - this.#pingSentAt >= this.#timeoutMs) {
        this.#onDead()
        return
      } else {
        this.#schedule(this.#timeoutMs - (now - this.#pingSentAt))
        return
      }
    }
    const idle = now - this.#lastSeen
    if (idle < this.#intervalMs || this.#socket.isPaused) {
      this.#schedule(this.#intervalMs - (this.#socket.isPaused ? 0 : idle))
      return
    }
    this.#pingSentAt = now
    this.#socket.ping()
    this.#schedule(this.#timeoutMs)
  }
}

import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'

/**
 * Until the WebSocket link owns a socket, an error on it (a reset) would be an unhandled
 * 'error' event: this listener destroys the socket instead. One function for all sockets
 * (`this` is the socket), added with `socket.on('error', destroyOnError)` and removed once
 * the link listens itself.
 */
export function destroyOnError(this: Duplex): void {
  this.destroy()
}

const NOTHING = Buffer.alloc(0)

/** Bytes a client may send before the 101 (it should send none); past it the socket is dropped. */
const HANDSHAKE_BUFFER_LIMIT: number = 64 * 1024

/**
 * Watches the socket of a WebSocket handshake while the application decides (Daphne's
 * `handshake_deferred`): reads it, so that a client leaving is noticed, and keeps what it sent
 * early (bounded) to hand to the link with the upgrade.
 */
export class HeldSocket {
  /** The handshake request, kept until the handshake is answered. */
  readonly req: IncomingMessage
  readonly #socket: Duplex
  readonly #onGone: () => void
  readonly #onOverflow: () => void
  #chunks: Buffer[]
  #bytes: number

  constructor(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    onGone: () => void,
    onOverflow: () => void,
  ) {
    this.req = req
    this.#socket = socket
    this.#onGone = onGone
    this.#onOverflow = onOverflow
    this.#chunks = head.length > 0 ? [head] : []
    this.#bytes = head.length
    socket.on('data', this.#data)
    socket.on('end', this.#end)
    socket.on('close', this.#close)
  }

  /**
   * Stops watching; returns what the client sent early. The socket is left reading: the
   * caller hands it to its next reader (the link) before returning to the event loop, so no
   * byte is emitted with nobody listening (and no pause and resume, two system calls, are
   * needed).
   */
  release(): Buffer {
    this.detach()
    const chunks = this.#chunks
    this.#chunks = []
    if (chunks.length <= 1) return chunks[0] ?? NOTHING
    return Buffer.concat(chunks)
  }

  /** Stops watching without pausing (the socket is about to be answered and closed). */
  detach(): void {
    this.#socket.off('data', this.#data)
    this.#socket.off('end', this.#end)
    this.#socket.off('close', this.#close)
  }

  readonly #data = (chunk: Buffer): void => {
    this.#chunks.push(chunk)
    this.#bytes += chunk.length
    if (this.#bytes > HANDSHAKE_BUFFER_LIMIT) {
      this.#onOverflow()
      this.#socket.destroy()
    }
  }

  // The http.Server allows half-open sockets; a client that ends its side has left.
  readonly #end = (): void => {
    this.#socket.destroy()
  }

  readonly #close = (): void => {
    this.detach()
    this.#onGone()
  }
}

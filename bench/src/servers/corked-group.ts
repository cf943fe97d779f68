import type { Duplex } from 'node:stream'
import * as wsModule from 'ws'
import { WebSocket } from 'ws'

/** ws's own framing function (exported at runtime as `Sender`, absent from @types/ws). */
const { Sender } = wsModule as unknown as {
  Sender: {
    frame(
      data: Buffer,
      options: { fin: boolean; rsv1: boolean; opcode: number; mask: boolean; readOnly: boolean },
    ): Buffer[]
  }
}

/**
 * The bar for group send: a raw ws group that frames each broadcast once (`Sender.frame`)
 * and writes that one buffer to every open member's socket, corking each socket on its first
 * write of the event-loop turn and uncorking them all in `setImmediate`, so a burst leaves as
 * one `writev` per socket.
 */
export class CorkedGroup {
  readonly #members = new Map<WebSocket, Duplex>()
  readonly #corked: Duplex[] = []
  #flushScheduled = false
  readonly #flush = (): void => {
    this.#flushScheduled = false
    for (const socket of this.#corked) socket.uncork()
    this.#corked.length = 0
  }

  /** Adds a member: its ws and the raw socket under it (the upgrade's). */
  add(ws: WebSocket, socket: Duplex): void {
    this.#members.set(ws, socket)
  }

  delete(ws: WebSocket): void {
    this.#members.delete(ws)
  }

  /** Every member, for shutting them down. */
  members(): IterableIterator<WebSocket> {
    return this.#members.keys()
  }

  /** Sends `payload` to every open member, framed once. */
  broadcast(payload: Buffer, isBinary: boolean): void {
    const parts = Sender.frame(payload, {
      fin: true,
      rsv1: false,
      opcode: isBinary ? 2 : 1,
      mask: false,
      readOnly: true,
    })
    const frame = Buffer.concat(parts)
    for (const [member, socket] of this.#members) {
      if (member.readyState !== WebSocket.OPEN) continue
      if (socket.writableCorked === 0) {
        socket.cork()
        this.#corked.push(socket)
        if (!this.#flushScheduled) {
          this.#flushScheduled = true
          setImmediate(this.#flush)
        }
      }
      socket.write(frame)
    }
  }
}

import { copyPlainTree, type Message, RelayMemo } from '@node-channels/core'
import { decodedCopies } from './decoded-copies.js'

/**
 * One decoded group message on its way to this process's member channels: each member that
 * takes it as a message gets a copy of its own (see `decodedCopies`), made only then, and a
 * waiting consumer that relays its type is offered the one `RelayMemo` instead (see
 * `AsyncConsumer.relays`), so the members of one class share what their relay builds.
 */
export class GroupDelivery {
  readonly #message: Message
  readonly #copyFor: (index: number) => Message
  #copies = 0
  #memo: RelayMemo | null = null

  constructor(message: Message) {
    this.#message = message
    this.#copyFor = decodedCopies(message)
  }

  /** What relays are offered, made on first use (before any copy is changed: all of this is synchronous). */
  get memo(): RelayMemo {
    this.#memo ??= new RelayMemo(this.#message, copyDecoded)
    return this.#memo
  }

  /** The next member's own copy: the decoded object for the first, a copy for each further one. */
  nextCopy(): Message {
    const copy = this.#copyFor(this.#copies)
    this.#copies += 1
    return copy
  }
}

/** A decoded message holds only plain data, nothing shared or cyclic (see `decodedCopies`). */
function copyDecoded(message: Message): Message {
  return copyPlainTree(message) as Message
}

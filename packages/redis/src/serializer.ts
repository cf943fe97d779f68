import { randomFillSync } from 'node:crypto'
import { MessageTooLarge } from '@node-channels/core'
import { ASGI_CHANNEL_KEY, mapHeader, readMapHeader } from './asgi-channel.js'
import { MultiFernet } from './fernet.js'
import { decodeMessage, encodeMessage } from './msgpack-codec.js'

/** How `MessageSerializer` frames messages; each must match the Python side. */
export interface MessageSerializerOptions {
  /** Random bytes in front of each message (12 for the core layer, 0 for pub/sub). */
  randomPrefixLength: number
  /** Fernet keys; empty means no encryption. */
  symmetricEncryptionKeys: ReadonlyArray<string | Uint8Array>
  /** Oldest accepted Fernet token, in seconds (`expiry + 10` for the core layer), or null for none. */
  ttlSeconds: number | null
  /** Largest msgpack body accepted by `serialize()`. */
  maxMessageBytes: number
}

/**
 * Turns messages into the bytes channels_redis stores, and back:
 * `random prefix || msgpack(message)`, or `random prefix || Fernet(msgpack(message))` with keys.
 * Mirrors `RedisChannelLayer.serialize`/`deserialize` (and the ≥ 4.2.1 serializer registry).
 */
export class MessageSerializer {
  readonly #prefixLength: number
  readonly #fernet: MultiFernet | null
  readonly #ttlSeconds: number | null
  readonly #maxMessageBytes: number

  constructor(options: MessageSerializerOptions) {
    this.#prefixLength = options.randomPrefixLength
    this.#fernet =
      options.symmetricEncryptionKeys.length > 0
        ? new MultiFernet(options.symmetricEncryptionKeys)
        : null
    this.#ttlSeconds = options.ttlSeconds
    this.#maxMessageBytes = options.maxMessageBytes
  }

  /**
   * Encodes a message for storage. Throws TypeError for values msgpack cannot carry faithfully,
   * and MessageTooLarge when the encoded body is over `maxMessageBytes`; `target` names the
   * channel or group in that error.
   */
  serialize(message: unknown, target: string): Buffer {
    return this.frame(this.#checkSize(encodeMessage(message), target))
  }

  /** The msgpack body of a message (a copy), checked like `serialize()`; frame it with `frame()`. */
  encodeBody(message: unknown, target: string): Uint8Array {
    return this.#checkSize(encodeMessage(message), target).slice()
  }

  /**
   * Appends `"__asgi_channel__": channels` (`channels` already encoded, by `encodeChannelList`)
   * as the last entry of an encoded message map, as channels_redis' `group_send` adds it to its
   * dict: one encoding of the message serves every queue of a group.
   */
  withAsgiChannel(body: Uint8Array, channels: Uint8Array, target: string): Uint8Array {
    const map = readMapHeader(body)
    if (map === null) throw new TypeError('A channel layer message must encode as a msgpack map.')
    const { count, headerLength } = map
    const header = mapHeader(count + 1)
    const entry = channels
    const result = new Uint8Array(
      header.byteLength +
        body.byteLength -
        headerLength +
        ASGI_CHANNEL_KEY.byteLength +
        entry.byteLength,
    )
    result.set(header, 0)
    result.set(body.subarray(headerLength), header.byteLength)
    let offset = header.byteLength + body.byteLength - headerLength
    result.set(ASGI_CHANNEL_KEY, offset)
    offset += ASGI_CHANNEL_KEY.byteLength
    result.set(entry, offset)
    return this.#checkSize(result, target)
  }

  /**
   * The stored bytes of a group message for one queue: `body` (from `encodeBody()`) with
   * `"__asgi_channel__"` appended, its value `channels` (from `encodeChannelList()`), framed as
   * `frame()` frames it. Without encryption it is built in one allocation, with no
   * intermediate copies. Throws MessageTooLarge as `withAsgiChannel()` does.
   */
  groupMember(body: Uint8Array, channels: Uint8Array, target: string): Buffer {
    if (this.#fernet) return this.frame(this.withAsgiChannel(body, channels, target))
    const map = readMapHeader(body)
    if (map === null) throw new TypeError('A channel layer message must encode as a msgpack map.')
    const header = mapHeader(map.count + 1)
    const entries = body.subarray(map.headerLength)
    const length =
      header.byteLength + entries.byteLength + ASGI_CHANNEL_KEY.byteLength + channels.byteLength
    this.#checkLength(length, target)
    const member = Buffer.allocUnsafe(this.#prefixLength + length)
    // Uniqueness only: identical messages must stay distinct members of a sorted set.
    if (this.#prefixLength > 0) randomFillSync(member, 0, this.#prefixLength)
    let offset = this.#prefixLength
    member.set(header, offset)
    offset += header.byteLength
    member.set(entries, offset)
    offset += entries.byteLength
    member.set(ASGI_CHANNEL_KEY, offset)
    member.set(channels, offset + ASGI_CHANNEL_KEY.byteLength)
    return member
  }

  /** Encrypts (with keys) and prefixes an encoded body: the bytes to store or publish. */
  frame(body: Uint8Array): Buffer {
    const payload = this.#fernet ? this.#fernet.encrypt(body) : body
    const member = Buffer.allocUnsafe(this.#prefixLength + payload.byteLength)
    // Uniqueness only: identical messages must stay distinct members of a sorted set.
    if (this.#prefixLength > 0) randomFillSync(member, 0, this.#prefixLength)
    member.set(payload, this.#prefixLength)
    return member
  }

  /** Decodes stored bytes; throws (InvalidToken, DecodeError) for anything not written by a peer with our keys. */
  deserialize(member: Uint8Array): unknown {
    return decodeMessage(this.open(member))
  }

  /** The msgpack inside stored bytes: without the random prefix, decrypted with keys (throws InvalidToken). */
  open(member: Uint8Array): Uint8Array {
    const payload = member.subarray(this.#prefixLength)
    return this.#fernet ? this.#fernet.decrypt(payload, this.#ttlSeconds) : payload
  }

  #checkSize(body: Uint8Array, target: string): Uint8Array {
    this.#checkLength(body.byteLength, target)
    return body
  }

  #checkLength(byteLength: number, target: string): void {
    if (byteLength > this.#maxMessageBytes) {
      throw new MessageTooLarge(
        `The message for ${JSON.stringify(target)} is ${byteLength} bytes encoded, over the limit of ${this.#maxMessageBytes} bytes (maxMessageBytes).`,
      )
    }
  }
}

import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto'

/** Fernet allows a token's timestamp to be this far in the future (cryptography's `_MAX_CLOCK_SKEW`). */
const MAX_CLOCK_SKEW_SECONDS = 60
const VERSION = 0x80
const HEADER_BYTES = 1 + 8 + 16
const HMAC_BYTES = 32

/** A Fernet token could not be verified or decrypted. Mirrors `cryptography.fernet.InvalidToken`. */
export class InvalidToken extends Error {
  override name = 'InvalidToken'
}

/** Fixed inputs for `encrypt()`, so a token can be compared byte for byte with Python's. */
export interface FernetEncryptParts {
  /** Seconds since the epoch written into the token. @default the current time */
  nowSeconds?: number
  /** The 16-byte AES-CBC initialisation vector. @default 16 random bytes */
  iv?: Uint8Array
}

interface FernetKey {
  signing: Buffer
  encryption: Buffer
}

/**
 * Fernet (AES-128-CBC + HMAC-SHA256) over several keys: encrypts with the first, decrypts
 * with whichever verifies. Keys are derived as channels_redis' `make_fernet` does: the
 * SHA-256 of the key's UTF-8 bytes, first half signing, second half encryption. Mirrors
 * `cryptography.fernet.MultiFernet` as channels_redis uses it for `symmetric_encryption_keys`.
 */
export class MultiFernet {
  readonly #keys: FernetKey[]

  constructor(keys: ReadonlyArray<string | Uint8Array>) {
    if (keys.length === 0) throw new RangeError('MultiFernet needs at least one key.')
    this.#keys = keys.map((key) => {
      const raw = createHash('sha256')
        .update(typeof key === 'string' ? Buffer.from(key, 'utf8') : key)
        .digest()
      return { signing: raw.subarray(0, 16), encryption: raw.subarray(16, 32) }
    })
  }

  /** Returns the Fernet token (URL-safe base64 ASCII with `=` padding) for `plaintext`. */
  encrypt(plaintext: Uint8Array, parts: FernetEncryptParts = {}): Buffer {
    const key = this.#keys[0] as FernetKey
    const iv = parts.iv ?? randomBytes(16)
    const header = Buffer.alloc(HEADER_BYTES)
    header[0] = VERSION
    header.writeBigUInt64BE(BigInt(Math.floor(parts.nowSeconds ?? Date.now() / 1000)), 1)
    header.set(iv, 9)
    const cipher = createCipheriv('aes-128-cbc', key.encryption, iv)
    const body = Buffer.concat([header, cipher.update(plaintext), cipher.final()])
    const mac = createHmac('sha256', key.signing).update(body).digest()
    // Python's urlsafe_b64encode keeps the '=' padding that Node's 'base64url' drops.
    const base64 = Buffer.concat([body, mac]).toString('base64')
    return Buffer.from(base64.replaceAll('+', '-').replaceAll('/', '_'), 'latin1')
  }

  /**
   * Verifies and decrypts a token with each key in turn. With `ttlSeconds`, a token older
   * than that (or more than 60 s in the future) is refused, as Fernet does.
   */
  decrypt(
    token: Uint8Array,
    ttlSeconds: number | null,
    nowSeconds: number = Date.now() / 1000,
  ): Buffer {
    const data = Buffer.from(Buffer.from(token).toString('latin1'), 'base64')
    if (data.length < HEADER_BYTES + HMAC_BYTES || data[0] !== VERSION) {
      throw new InvalidToken('The Fernet token is malformed.')
    }
    const timestamp = Number(data.readBigUInt64BE(1))
    if (ttlSeconds !== null) {
      const now = Math.floor(nowSeconds)
      if (timestamp + ttlSeconds < now) throw new InvalidToken('The Fernet token has expired.')
      if (now + MAX_CLOCK_SKEW_SECONDS < timestamp) {
        throw new InvalidToken('The Fernet token is dated in the future.')
      }
    }
    const signed = data.subarray(0, data.length - HMAC_BYTES)
    const mac = data.subarray(data.length - HMAC_BYTES)
    for (const key of this.#keys) {
      const expected = createHmac('sha256', key.signing).update(signed).digest()
      if (!timingSafeEqual(expected, mac)) continue
      try {
        const decipher = createDecipheriv('aes-128-cbc', key.encryption, data.subarray(9, 25))
        return Buffer.concat([
          decipher.update(data.subarray(HEADER_BYTES, signed.length)),
          decipher.final(),
        ])
      } catch (error) {
        throw new InvalidToken('The Fernet token does not decrypt.', { cause: error })
      }
    }
    throw new InvalidToken('The Fernet token was not signed with any of the keys.')
  }
}

import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

/** How secrets are given: one, or several for rotation (the first signs, all verify). */
export type Secrets = string | readonly string[]

/** The shortest secret accepted: 32 characters (Django warns below 50). */
const MIN_SECRET_LENGTH = 32

// `<value>.<expiry in base36 ms>.<base64url HMAC-SHA256>`; the value must not contain '.'.
const SIGNATURE_LENGTH = 43
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/
const EXPIRY = /^[0-9a-z]{1,11}$/

/**
 * Checks and normalises `secret` into a non-empty list; `who` names the option's owner in
 * the error message. The secrets themselves never appear in a message.
 */
export function normalizeSecrets(secret: unknown, who: string): readonly string[] {
  const list = typeof secret === 'string' ? [secret] : secret
  if (!Array.isArray(list) || list.length === 0) {
    throw new TypeError(
      `${who} needs a secret: a string, or a non-empty list of strings for key rotation.`,
    )
  }
  list.forEach((item: unknown, index) => {
    if (typeof item !== 'string') {
      throw new TypeError(`${who} secret #${index} must be a string; got a ${typeof item}.`)
    }
    if (item.length < MIN_SECRET_LENGTH) {
      throw new RangeError(
        `${who} secret #${index} must be at least ${MIN_SECRET_LENGTH} characters long; it has ${item.length}.`,
      )
    }
  })
  return Object.freeze([...list])
}

/**
 * Returns `value.expiry.signature`, signed with `secret` under `salt` (so a signature made
 * for one purpose is never valid for another). Mirrors `django.core.signing.TimestampSigner`.
 */
export function signExpiring(
  value: string,
  expiresAtMs: number,
  secret: string,
  salt: string,
): string {
  if (value.includes('.'))
    throw new TypeError(`A signed value cannot contain ".": ${JSON.stringify(value)}.`)
  const payload = `${value}.${Math.floor(expiresAtMs).toString(36)}`
  return `${payload}.${hmac(secret, salt, payload)}`
}

/**
 * Returns the value inside `signed` when one of `secrets` signed it under `salt` and it has
 * not expired at `nowMs`; otherwise `null`. Never throws on malformed input. Signatures are
 * compared in constant time.
 */
export function unsignExpiring(
  signed: unknown,
  secrets: readonly string[],
  salt: string,
  nowMs: number,
): string | null {
  if (typeof signed !== 'string' || signed.length > 8192) return null
  const end = signed.lastIndexOf('.')
  const middle = signed.lastIndexOf('.', end - 1)
  if (end <= 0 || middle <= 0) return null
  const payload = signed.slice(0, end)
  const signature = signed.slice(end + 1)
  const expiry = signed.slice(middle + 1, end)
  const value = signed.slice(0, middle)
  if (!SIGNATURE.test(signature) || !EXPIRY.test(expiry) || value.includes('.')) return null
  const given = Buffer.from(signature, 'latin1')
  let valid = false
  for (const secret of secrets) {
    // Every secret is tried, so the time taken does not tell which one matched.
    const expected = Buffer.from(hmac(secret, salt, payload), 'latin1')
    if (expected.length === SIGNATURE_LENGTH && timingSafeEqual(expected, given)) valid = true
  }
  if (!valid) return null
  return Number.parseInt(expiry, 36) > nowMs ? value : null
}

/** Compares two strings in constant time (for their SHA-256 digests). Mirrors `constant_time_compare`. */
export function constantTimeEqual(a: string, b: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest()
  return timingSafeEqual(digest(a), digest(b)) && a.length === b.length
}

function hmac(secret: string, salt: string, payload: string): string {
  return createHmac('sha256', secret).update(`${salt}\n${payload}`, 'utf8').digest('base64url')
}

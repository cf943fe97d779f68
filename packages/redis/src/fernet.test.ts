import { describe, expect, it } from 'vitest'
import { InvalidToken, MultiFernet } from './fernet.js'

// msgpack of {"type": "chat.message", "text": "hi"}, and the token Python's cryptography 38
// produced for it with channels_redis' key derivation of "secret", at time 1700000000 with
// an IV of sixteen 0x01 bytes (Fernet(...)._encrypt_from_parts(plaintext, 1700000000, iv)).
const PLAINTEXT = Buffer.from('82a474797065ac636861742e6d657373616765a474657874a26869', 'hex')
const PYTHON_TOKEN =
  'gAAAAABlU_EAAQEBAQEBAQEBAQEBAQEBAclbESTl7K32-dwggvShbqGnsQOJc0zKrIXkfqp_pMxQYNUY76YfpOJU9UdhoJKjLe3z93jgK-hv608HiO22HG4='
const NOW = 1_700_000_000

describe('MultiFernet', () => {
  it('produces the same token as Python for the same time and IV', () => {
    const fernet = new MultiFernet(['secret'])
    const token = fernet.encrypt(PLAINTEXT, { nowSeconds: NOW, iv: Buffer.alloc(16, 1) })
    expect(token.toString('latin1')).toBe(PYTHON_TOKEN)
  })

  it("decrypts Python's token, with any of several keys", () => {
    const fernet = new MultiFernet(['other', 'secret'])
    expect(fernet.decrypt(Buffer.from(PYTHON_TOKEN), 70, NOW + 5)).toEqual(PLAINTEXT)
  })

  it('round-trips with random IVs and encrypts with the first key only', () => {
    const token = new MultiFernet(['new', 'old']).encrypt(PLAINTEXT)
    expect(new MultiFernet(['new']).decrypt(token, null)).toEqual(PLAINTEXT)
    expect(() => new MultiFernet(['old']).decrypt(token, null)).toThrow(
      new InvalidToken('The Fernet token was not signed with any of the keys.'),
    )
  })

  it('refuses expired and future-dated tokens when a ttl is given, like Fernet', () => {
    const fernet = new MultiFernet(['secret'])
    const token = Buffer.from(PYTHON_TOKEN)
    expect(() => fernet.decrypt(token, 70, NOW + 71)).toThrow(
      new InvalidToken('The Fernet token has expired.'),
    )
    expect(() => fernet.decrypt(token, 70, NOW - 61)).toThrow(
      new InvalidToken('The Fernet token is dated in the future.'),
    )
    expect(fernet.decrypt(token, null, NOW + 10_000)).toEqual(PLAINTEXT)
  })

  it('refuses garbage, a wrong version byte and a tampered token', () => {
    const fernet = new MultiFernet(['secret'])
    expect(() => fernet.decrypt(Buffer.from('not a token'), null)).toThrow(
      new InvalidToken('The Fernet token is malformed.'),
    )
    const raw = Buffer.from(PYTHON_TOKEN, 'base64')
    const wrongVersion = Buffer.from(raw)
    wrongVersion[0] = 0x81
    expect(() => fernet.decrypt(Buffer.from(wrongVersion.toString('base64')), null)).toThrow(
      new InvalidToken('The Fernet token is malformed.'),
    )
    const tampered = Buffer.from(raw)
    tampered[30] = (tampered[30] ?? 0) ^ 1
    expect(() => fernet.decrypt(Buffer.from(tampered.toString('base64')), null)).toThrow(
      new InvalidToken('The Fernet token was not signed with any of the keys.'),
    )
  })
})

import { describe, expect, it } from 'vitest'
import type { Application, Scope } from '../types.js'
import { AnonymousUser, type AuthUser } from './auth.js'
import { connectWebsocket, run, websocketScope } from './harness.test-util.js'
import { signExpiring } from './signing.js'
import { createAuthToken, TokenAuthMiddleware, verifyAuthToken } from './token-auth.js'

const SECRET = 'token-secret-token-secret-token-secret'
const OLD_SECRET = 'retired-secret-retired-secret-retired'
const NOW = 1_800_000_000_000
const alice: AuthUser & { name: string } = { id: 'alice-id', name: 'alice' }

/** The documented recipe: verify the HMAC token, then load the user it names. */
const verify = async (token: string) => {
  const id = verifyAuthToken(token, { secret: SECRET, now: () => NOW })
  return id === 'alice-id' ? alice : null
}

/** Runs a WebSocket connection through TokenAuthMiddleware and returns the scope the application saw. */
async function scopeSeen(overrides: Record<string, unknown>, app?: Application): Promise<Scope> {
  let seen: Scope | undefined
  const inner: Application = async (scope, receive, send) => {
    seen = scope
    await receive()
    await send({ type: 'websocket.accept' })
    await receive()
  }
  await connectWebsocket(
    app ?? TokenAuthMiddleware(inner, { verify }),
    websocketScope([], overrides),
  )
  if (!seen) throw new Error('The application never ran.')
  return seen
}

describe('createAuthToken / verifyAuthToken', () => {
  it('round-trips string and number ids with URL- and subprotocol-safe characters', () => {
    for (const id of ['alice-id', 42, 'ünïcødé id']) {
      const token = createAuthToken(id, { secret: SECRET, now: () => NOW })
      expect(token).toMatch(/^[A-Za-z0-9_-]+\.[0-9a-z]+\.[A-Za-z0-9_-]{43}$/)
      expect(verifyAuthToken(token, { secret: SECRET, now: () => NOW })).toBe(id)
    }
  })

  it('expires after maxAgeMs (60 s by default)', () => {
    const token = createAuthToken('a', { secret: SECRET, now: () => NOW })
    expect(verifyAuthToken(token, { secret: SECRET, now: () => NOW + 59_999 })).toBe('a')
    expect(verifyAuthToken(token, { secret: SECRET, now: () => NOW + 60_000 })).toBe(null)
  })

  it('refuses forged, tampered and retired-secret tokens', () => {
    const token = createAuthToken('alice-id', { secret: SECRET, now: () => NOW })
    const [, expiry, signature] = token.split('.')
    const mallory = Buffer.from('"mallory"').toString('base64url')
    expect(
      verifyAuthToken(`${mallory}.${expiry}.${signature}`, { secret: SECRET, now: () => NOW }),
    ).toBe(null)
    const byOld = createAuthToken('alice-id', { secret: OLD_SECRET, now: () => NOW })
    expect(verifyAuthToken(byOld, { secret: SECRET, now: () => NOW })).toBe(null)
    expect(verifyAuthToken(byOld, { secret: [SECRET, OLD_SECRET], now: () => NOW })).toBe(
      'alice-id',
    )
  })

  it('returns null for garbage, never throws', () => {
    for (const garbage of ['', 'x', 'a.b.c', '....', 'x'.repeat(10_000), null, 12]) {
      expect(verifyAuthToken(garbage, { secret: SECRET })).toBe(null)
    }
  })

  it('refuses a validly signed payload that is not an id (e.g. an object with __proto__)', () => {
    // Signed with the real secret, as a compromised or buggy issuer might.
    for (const json of ['{"__proto__":{"admin":true}}', 'null', '""', '[1]', '1e999', 'not json']) {
      const payload = Buffer.from(json).toString('base64url')
      const signed = signExpiring(payload, NOW + 1000, SECRET, 'node-channels.auth-token')
      expect(verifyAuthToken(signed, { secret: SECRET, now: () => NOW })).toBe(null)
    }
    expect(({} as Record<string, unknown>).admin).toBeUndefined()
  })

  it('refuses bad arguments with clear errors', () => {
    expect(() => createAuthToken('', { secret: SECRET })).toThrow(
      new TypeError('createAuthToken needs a non-empty string or finite number id; got "".'),
    )
    expect(() => createAuthToken('a', { secret: 'short' })).toThrow(
      new RangeError('createAuthToken secret #0 must be at least 32 characters long; it has 5.'),
    )
    expect(() => createAuthToken('a', { secret: SECRET, maxAgeMs: 0 })).toThrow(
      new RangeError('createAuthToken maxAgeMs must be a positive number of milliseconds; got 0.'),
    )
  })
})

describe('TokenAuthMiddleware', () => {
  const token = () => createAuthToken('alice-id', { secret: SECRET, now: () => NOW })

  it('sets scope.user from ?token= in the query string', async () => {
    const scope = await scopeSeen({ query_string: `room=1&token=${token()}` })
    expect(scope.user).toBe(alice)
  })

  it('sets scope.user from a token.<token> subprotocol, removed from scope.subprotocols', async () => {
    const scope = await scopeSeen({ subprotocols: ['chat', `token.${token()}`] })
    expect(scope.user).toBe(alice)
    expect(scope.subprotocols).toEqual(['chat'])
  })

  it('is anonymous without a token, with a bad one, or with two', async () => {
    const forged = `${token().slice(0, -43)}${'A'.repeat(43)}`
    for (const overrides of [
      {},
      { query_string: 'token=' },
      { query_string: `token=${forged}` },
      { query_string: `token=${token()}&token=${token()}` },
      { subprotocols: [`token.${forged}`] },
      { query_string: `token=${'%FF'.repeat(3000)}` },
    ]) {
      expect((await scopeSeen(overrides)).user).toBeInstanceOf(AnonymousUser)
    }
  })

  it('reads only the sources it is configured for', async () => {
    const inner: Application = async (scope, receive, send) => {
      await receive()
      await send({ type: 'websocket.accept', user: scope.user })
      await receive()
    }
    const queryOnly = TokenAuthMiddleware(inner, {
      verify,
      subprotocolPrefix: false,
      queryParam: 'access',
    })
    const running = run(
      queryOnly,
      websocketScope([], { query_string: `access=${token()}`, subprotocols: [`token.${token()}`] }),
    )
    running.input({ type: 'websocket.connect' })
    expect((await running.output()).user).toBe(alice)
    running.input({ type: 'websocket.disconnect', code: 1000 })
    await running.done
  })

  it('refuses a missing verify function and empty parameter names', () => {
    const app: Application = async () => {}
    expect(() => TokenAuthMiddleware(app, {} as { verify: typeof verify })).toThrow(
      new TypeError('TokenAuthMiddleware needs a verify(token) function; got undefined.'),
    )
    expect(() => TokenAuthMiddleware(app, { verify, queryParam: '' })).toThrow(
      new TypeError('TokenAuthMiddleware queryParam must be a non-empty string or false; got "".'),
    )
  })
})

import {
  AnonymousUser,
  AuthMiddlewareStack,
  getSession,
  login,
  type Message,
  Session,
  SessionInterrupted,
} from '@node-channels/core'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { RedisConnectionError } from '../src/errors.js'
import { RedisSessionStore } from '../src/redis-session-store.js'
import {
  deleteKeys,
  inspector,
  REDIS_URL,
  recordingLogger,
  redisAvailable,
  uniquePrefix,
} from './redis-helpers.js'

const KEY = 'abcdefghijklmnopqrstuvwxyz012345'

describe('RedisSessionStore options', () => {
  it.each([
    [
      { url: 'http://127.0.0.1:6379' },
      new TypeError(
        'Invalid RedisSessionStore url: "http://127.0.0.1:6379" is not a redis:// or rediss:// URL',
      ),
    ],
    [
      { url: 'not a url' },
      new TypeError('Invalid RedisSessionStore url: "not a url" is not a URL'),
    ],
    [{ prefix: 3 }, new TypeError('RedisSessionStore prefix must be a string, not 3.')],
    [
      { connectTimeoutMs: 0 },
      new RangeError(
        'RedisSessionStore connectTimeoutMs must be a positive integer of milliseconds, not 0.',
      ),
    ],
    [
      { commandTimeoutMs: 1.5 },
      new RangeError(
        'RedisSessionStore commandTimeoutMs must be a positive integer of milliseconds, not 1.5.',
      ),
    ],
  ])('refuses %j', (options, error) => {
    expect(() => new RedisSessionStore(options as never)).toThrow(error)
  })

  it('refuses a bad key, TTL or data before talking to Redis', async () => {
    const store = new RedisSessionStore({ url: 'redis://127.0.0.1:1' })
    onTestFinished(() => store.close())
    expect(() => store.load('')).toThrow(
      new TypeError('A session key must be a non-empty string, not "".'),
    )
    expect(() => store.save(KEY, '{}', 0)).toThrow(
      new RangeError('Session ttlMs must be a positive number of milliseconds; got 0.'),
    )
    expect(() => store.update(KEY, '{}', Number.NaN)).toThrow(
      new RangeError('Session ttlMs must be a positive number of milliseconds; got null.'),
    )
    expect(() => store.save(KEY, { a: 1 } as never, 1000)).toThrow(
      new TypeError('Session data must be JSON text (a string), not object.'),
    )
  })

  it('fails with RedisConnectionError when Redis cannot be reached', async () => {
    const logger = recordingLogger()
    const store = new RedisSessionStore({
      url: 'redis://127.0.0.1:1',
      connectTimeoutMs: 500,
      logger,
    })
    onTestFinished(() => store.close())
    await expect(store.load(KEY)).rejects.toBeInstanceOf(RedisConnectionError)
    await expect(store.save(KEY, '{}', 1000)).rejects.toThrow(
      /^Redis at redis:\/\/127\.0\.0\.1:1\/0 is unavailable/,
    )
  })
})

// Skipped only when Redis is absent outside CI; under CI a missing Redis fails the suite.
describe.skipIf(!redisAvailable)('RedisSessionStore on Redis', () => {
  const prefix = uniquePrefix('sessions')
  const redis = inspector()
  const store = new RedisSessionStore({ url: REDIS_URL, prefix })

  beforeAll(async () => {
    await deleteKeys(redis, prefix)
  })

  afterAll(async () => {
    await deleteKeys(redis, prefix)
    await store.close()
    redis.disconnect()
  })

  it('saves under the prefix with a PX expiry, and loads it back', async () => {
    await store.save(KEY, '{"user":"alice"}', 60_000)
    expect(await store.load(KEY)).toBe('{"user":"alice"}')
    expect(await redis.get(`${prefix}${KEY}`)).toBe('{"user":"alice"}')
    const ttl = await redis.pttl(`${prefix}${KEY}`)
    expect(ttl).toBeGreaterThan(59_000)
    expect(ttl).toBeLessThanOrEqual(60_000)
  })

  it('rounds a fractional TTL up to whole milliseconds', async () => {
    await store.save('fractional', '{}', 60_000.25)
    const ttl = await redis.pttl(`${prefix}fractional`)
    expect(ttl).toBeGreaterThan(59_000)
    expect(ttl).toBeLessThanOrEqual(60_001)
  })

  it('loads null for a key never saved, and for one that expired', async () => {
    expect(await store.load('never-saved')).toBeNull()
    await store.save('short', '{}', 60_000)
    await redis.pexpire(`${prefix}short`, 1)
    // Redis expires a key on access once its time has passed; PTTL tells when it has.
    for (let round = 0; round < 100 && (await redis.pttl(`${prefix}short`)) >= 0; round++) {
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
    expect(await store.load('short')).toBeNull()
  })

  it('update() replaces a live key and renews its TTL (SET XX PX)', async () => {
    await store.save('live', '{"n":1}', 5_000)
    expect(await store.update('live', '{"n":2}', 120_000)).toBe(true)
    expect(await store.load('live')).toBe('{"n":2}')
    expect(await redis.pttl(`${prefix}live`)).toBeGreaterThan(100_000)
  })

  it('update() reports false and creates nothing for a missing key', async () => {
    expect(await store.update('gone', '{"n":1}', 60_000)).toBe(false)
    expect(await redis.exists(`${prefix}gone`)).toBe(0)
  })

  it('delete() removes a key, and a missing key is no error', async () => {
    await store.save('doomed', '{}', 60_000)
    await store.delete('doomed')
    expect(await store.load('doomed')).toBeNull()
    await expect(store.delete('doomed')).resolves.toBeUndefined()
  })

  it('keeps prefixes apart', async () => {
    const other = new RedisSessionStore({ url: REDIS_URL, prefix: `${prefix}other:` })
    onTestFinished(() => other.close())
    await store.save('shared-name', '"mine"', 60_000)
    await other.save('shared-name', '"theirs"', 60_000)
    expect(await store.load('shared-name')).toBe('"mine"')
    expect(await other.load('shared-name')).toBe('"theirs"')
  })

  describe('under Session and the middleware', () => {
    it('saves, loads, cycles and flushes a Session', async () => {
      const session = new Session(store, { maxAgeMs: 60_000 })
      session.set('cart', [1, 2])
      await session.save()
      const key = session.sessionKey ?? ''
      const loaded = await Session.load(store, key, { maxAgeMs: 60_000 })
      expect(loaded.get('cart')).toEqual([1, 2])
      await loaded.cycleKey()
      expect(await store.load(key)).toBeNull()
      await loaded.flush()
      expect(await redis.exists(`${prefix}${loaded.sessionKey ?? key}`)).toBe(0)
    })

    it('never resurrects a session deleted meanwhile: save() throws SessionInterrupted', async () => {
      const session = new Session(store, { maxAgeMs: 60_000 })
      session.set('user', 'alice')
      await session.save()
      const key = session.sessionKey ?? ''
      const open = await Session.load(store, key, { maxAgeMs: 60_000 })
      await store.delete(key) // a logout in another process
      open.set('seen', true)
      await expect(open.save()).rejects.toBeInstanceOf(SessionInterrupted)
      expect(await redis.exists(`${prefix}${key}`)).toBe(0)
    })

    it('shares a login between two processes (two stores on one Redis)', async () => {
      const secret = 'redis-session-store-test-secret-0123456789'
      const users = new Map([['alice', { id: 'alice' }]])
      const options = {
        secret,
        loadUser: async (id: string | number) => users.get(String(id)) ?? null,
      }
      const otherProcess = new RedisSessionStore({ url: REDIS_URL, prefix })
      onTestFinished(() => otherProcess.close())

      // Process one logs alice in over HTTP and sets the cookie.
      let cookie = ''
      const loginApp = AuthMiddlewareStack(
        async (scope, _receive, send) => {
          await login(scope, users.get('alice'))
          await send({ type: 'http.response.start', status: 200, headers: [] })
          await send({ type: 'http.response.body', body: new Uint8Array() })
        },
        { ...options, store },
      )
      await loginApp(
        { type: 'http', path: '/login/', query_string: '', headers: [], method: 'POST' },
        async () => ({ type: 'http.request', body: new Uint8Array(), more_body: false }),
        async (message: Message) => {
          const headers = (message.headers ?? []) as Array<[string, string]>
          const set = headers.find(([name]) => name === 'set-cookie')
          if (set) cookie = set[1].split(';')[0] ?? ''
        },
      )
      expect(cookie).toMatch(/^sessionid=/)

      // Process two sees her on a WebSocket carrying that cookie.
      let seen: unknown
      const socketApp = AuthMiddlewareStack(
        async (scope) => {
          seen = { user: scope.user, session: getSession(scope).get('_auth_user_id') }
        },
        { ...options, store: otherProcess },
      )
      await socketApp(
        {
          type: 'websocket',
          path: '/ws/',
          query_string: '',
          headers: [['cookie', cookie]],
          subprotocols: [],
        },
        async () => ({ type: 'websocket.connect' }),
        async () => {},
      )
      expect(seen).toEqual({ user: { id: 'alice' }, session: 'alice' })

      // A forged cookie gets nobody.
      await socketApp(
        {
          type: 'websocket',
          path: '/ws/',
          query_string: '',
          headers: [['cookie', `${cookie}x`]],
          subprotocols: [],
        },
        async () => ({ type: 'websocket.connect' }),
        async () => {},
      )
      expect((seen as { user: unknown }).user).toBeInstanceOf(AnonymousUser)
    })
  })
})

import { describe, expect, it } from 'vitest'
import { getSession, Session, SessionInterrupted } from './session.js'
import { InMemorySessionStore, type SessionStore } from './session-store.js'

const options = { maxAgeMs: 60_000 }

describe('Session', () => {
  it('starts empty, without a key, and unmodified', () => {
    const session = new Session(new InMemorySessionStore(), options)
    expect([session.sessionKey, session.isEmpty, session.modified, session.keys()]).toEqual([
      null,
      true,
      false,
      [],
    ])
  })

  it('get/set/has/delete/clear track modification as Django does', () => {
    const session = new Session(new InMemorySessionStore(), options)
    session.set('fav_color', 'blue')
    expect([
      session.get('fav_color'),
      session.has('fav_color'),
      session.modified,
      session.isEmpty,
    ]).toEqual(['blue', true, true, false])
    session.modified = false
    expect(session.delete('missing')).toBe(false)
    expect(session.modified).toBe(false)
    expect(session.delete('fav_color')).toBe(true)
    expect(session.modified).toBe(true)
    session.set('a', 1)
    session.modified = false
    session.clear()
    expect([session.keys(), session.modified]).toEqual([[], true])
  })

  it('save() gives a new session a random 32-character key and persists JSON (test_session_saves)', async () => {
    const store = new InMemorySessionStore()
    const session = new Session(store, options)
    session.set('example_key', 'example_value')
    await session.save()
    const key = session.sessionKey ?? ''
    expect(key).toMatch(/^[a-z0-9]{32}$/)
    expect(await store.load(key)).toBe('{"example_key":"example_value"}')
    const reloaded = await Session.load(store, key, options)
    expect([reloaded.sessionKey, reloaded.get('example_key'), reloaded.modified]).toEqual([
      key,
      'example_value',
      false,
    ])
  })

  it('cycleKey() moves the data to a new, saved key and deletes the old one', async () => {
    const store = new InMemorySessionStore()
    const session = new Session(store, options)
    session.set('cart', [1, 2])
    await session.save()
    const oldKey = session.sessionKey ?? ''
    await session.cycleKey()
    const newKey = session.sessionKey ?? ''
    expect(newKey).not.toBe(oldKey)
    expect(await store.load(oldKey)).toBe(null)
    expect(await store.load(newKey)).toBe('{"cart":[1,2]}')
    expect(session.modified).toBe(true)
  })

  it('flush() empties the session, deletes it from the store and drops its key', async () => {
    const store = new InMemorySessionStore()
    const session = new Session(store, options)
    session.set('a', 1)
    await session.save()
    const key = session.sessionKey ?? ''
    await session.flush()
    expect([session.sessionKey, session.isEmpty, session.modified, await store.load(key)]).toEqual([
      null,
      true,
      true,
      null,
    ])
  })

  it('throws SessionInterrupted when the stored session was deleted meanwhile (test_session_save_update_error)', async () => {
    const store = new InMemorySessionStore()
    const session = new Session(store, options)
    await session.save()
    await store.delete(session.sessionKey ?? '')
    session.set('a', 1)
    const error = await session.save().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(SessionInterrupted)
    expect(error).toMatchObject({
      name: 'SessionInterrupted',
      message:
        "The request's session was deleted before the request completed. The user may have logged out in a concurrent request, for example.",
    })
    expect(await store.load(session.sessionKey ?? '')).toBe(null)
  })

  it('detects the same without update(), through load(), for minimal stores', async () => {
    const data = new Map<string, string>()
    const store: SessionStore = {
      load: async (key) => data.get(key) ?? null,
      save: async (key, text) => void data.set(key, text),
      delete: async (key) => void data.delete(key),
    }
    const session = new Session(store, options)
    await session.save()
    session.set('a', 1)
    await session.save()
    expect(data.get(session.sessionKey ?? '')).toBe('{"a":1}')
    data.clear()
    await expect(session.save()).rejects.toBeInstanceOf(SessionInterrupted)
  })

  it('loads __proto__ and constructor from stored JSON as plain data, polluting nothing', async () => {
    const store = new InMemorySessionStore()
    const key = 'a'.repeat(32)
    await store.save(
      key,
      '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"nested":{"__proto__":{"isAdmin":true}}}',
      60_000,
    )
    const session = await Session.load(store, key, options)
    expect(session.keys()).toEqual(['__proto__', 'constructor', 'nested'])
    expect(session.get('__proto__')).toEqual({ polluted: true })
    const nested = session.get('nested') as Record<string, unknown>
    expect(Object.getPrototypeOf(nested)).toBe(null)
    expect(nested.isAdmin).toBeUndefined()
    expect(Object.keys(nested)).toEqual(['__proto__'])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.prototype).not.toHaveProperty('polluted')
    // And it round-trips unchanged.
    await session.save()
    expect(JSON.parse((await store.load(key)) ?? '')).toEqual(
      JSON.parse(
        '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"nested":{"__proto__":{"isAdmin":true}}}',
      ),
    )
  })

  it('a session key "constructor" or "__proto__" set by the application stays data', async () => {
    const store = new InMemorySessionStore()
    const session = new Session(store, options)
    session.set('__proto__', { admin: true })
    await session.save()
    const reloaded = await Session.load(store, session.sessionKey ?? '', options)
    expect(reloaded.get('__proto__')).toEqual({ admin: true })
    expect(reloaded.get('constructor')).toBeUndefined()
  })

  it.each([
    ['not JSON', '{oops'],
    ['an array', '[1,2]'],
    ['a string', '"text"'],
    ['null', 'null'],
  ])('treats stored data that is %s as no session', async (_label, text) => {
    const store = new InMemorySessionStore()
    const key = 'b'.repeat(32)
    await store.save(key, text, 60_000)
    const session = await Session.load(store, key, options)
    expect([session.sessionKey, session.isEmpty]).toEqual([null, true])
  })

  it('never asks the store for a key that is not a session key', async () => {
    const asked: string[] = []
    const store: SessionStore = {
      load: async (key) => {
        asked.push(key)
        return null
      },
      save: async () => {},
      delete: async () => {},
    }
    const session = await Session.load(store, '../../etc/passwd', options)
    expect([session.sessionKey, asked]).toEqual([null, []])
  })

  it('refuses data that is not JSON-serialisable when saving', async () => {
    const session = new Session(new InMemorySessionStore(), options)
    session.set('big', 10n)
    await expect(session.save()).rejects.toThrow(
      new TypeError('Session data is not JSON-serialisable: Do not know how to serialize a BigInt'),
    )
  })
})

describe('getSession', () => {
  it("returns scope.session, or throws Django's error", () => {
    const session = new Session(new InMemorySessionStore(), options)
    expect(getSession({ session })).toBe(session)
    expect(() => getSession({})).toThrow(
      new TypeError(
        'Cannot find session in scope. You should wrap your consumer in SessionMiddleware.',
      ),
    )
    expect(() => getSession({ session: { get: () => 1 } })).toThrow(TypeError)
  })
})

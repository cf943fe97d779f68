import { describe, expect, it } from 'vitest'
import { defaultLogger } from './logger.js'
import { parsePubSubChannelLayerOptions, parseRedisChannelLayerOptions } from './options.js'

describe('parseRedisChannelLayerOptions', () => {
  it("fills in channels_redis' defaults", () => {
    expect(parseRedisChannelLayerOptions({})).toEqual({
      hosts: [
        {
          address: 'redis://127.0.0.1:6379/0',
          connection: { host: '127.0.0.1', port: 6379, db: 0 },
        },
      ],
      prefix: 'asgi',
      capacity: 100,
      expiryMs: 60_000,
      groupExpiryMs: 86_400_000,
      channelCapacity: {},
      symmetricEncryptionKeys: [],
      randomPrefixLength: 12,
      maxMessageBytes: 4 * 1024 * 1024,
      connectTimeoutMs: 5000,
      commandTimeoutMs: 5000,
      logger: defaultLogger,
    })
  })

  it('accepts one URL alone, URLs with credentials, TLS and a database, and host objects', () => {
    const { hosts } = parseRedisChannelLayerOptions({
      hosts: [
        'rediss://user:p%40ss@cache.example:7000/3',
        { host: '::1', port: 6390, db: 1 },
        'redis://h?db=4',
      ],
    })
    expect(hosts).toEqual([
      {
        address: 'rediss://cache.example:7000/3',
        connection: {
          host: 'cache.example',
          port: 7000,
          db: 3,
          username: 'user',
          password: 'p@ss',
          tls: {},
        },
      },
      { address: 'redis://[::1]:6390/1', connection: { host: '::1', port: 6390, db: 1 } },
      { address: 'redis://h:6379/4', connection: { host: 'h', port: 6379, db: 4 } },
    ])
    expect(parseRedisChannelLayerOptions({ hosts: 'redis://h:1' }).hosts).toHaveLength(1)
  })

  it.each([
    [{ hosts: 'http://h' }, '✖ "http://h" is not a redis:// or rediss:// URL\n  → at hosts'],
    [{ hosts: ['redis://h', 'nope'] }, '✖ "nope" is not a URL\n  → at hosts[1]'],
    [
      { hosts: ['redis://h/x?y=1'] },
      '✖ "redis://h/x?y=1" has an unsupported database or query (/x?y=1)\n  → at hosts[0]',
    ],
    [{ hosts: [] }, '✖ Too small: expected array to have >=1 items\n  → at hosts'],
    [{ capacity: 1.5 }, '✖ Invalid input: expected int, received number\n  → at capacity'],
    [{ expiryMs: 0 }, '✖ Too small: expected number to be >0\n  → at expiryMs'],
    [
      { symmetricEncryptionKeys: 'one key' },
      '✖ Invalid input: expected array, received string\n  → at symmetricEncryptionKeys',
    ],
    [
      { symmetricEncryptionKeys: [] },
      '✖ Too small: expected array to have >=1 items\n  → at symmetricEncryptionKeys',
    ],
    [{ logger: {} }, '✖ Expected an object with info, warn and error methods\n  → at logger'],
    [{ expiry: 60 }, '✖ Unrecognized key: "expiry"'],
  ])('refuses %j with a TypeError saying what is wrong', (options, problem) => {
    expect(() => parseRedisChannelLayerOptions(options as never)).toThrow(
      new TypeError(`Invalid RedisChannelLayer options: ${problem}`),
    )
  })
})

describe('parsePubSubChannelLayerOptions', () => {
  it('refuses the options only the core layer has', () => {
    expect(() => parsePubSubChannelLayerOptions({ groupExpiryMs: 1000 } as never)).toThrow(
      new TypeError('Invalid RedisPubSubChannelLayer options: ✖ Unrecognized key: "groupExpiryMs"'),
    )
  })
})

import { describe, expect, it } from 'vitest'
import { loadSettings, SettingsError } from './settings.js'

describe('loadSettings', () => {
  it('runs in memory on 127.0.0.1 and localhost with nothing set', () => {
    expect(loadSettings({})).toEqual({
      channelLayerUrl: null,
      allowedHosts: ['localhost', '127.0.0.1', '[::1]'],
      presenceIntervalMs: 10_000,
    })
  })

  it('reads the Redis URL, prefix, extra hosts and presence interval', () => {
    expect(
      loadSettings({
        CHANNEL_LAYER_URL: ' redis://127.0.0.1:6379/0 ',
        CHAT_ALLOWED_HOSTS: ' Chat.Example.com, .example.org,,127.0.0.1 ',
        CHAT_PRESENCE_INTERVAL_MS: '250',
      }),
    ).toEqual({
      channelLayerUrl: 'redis://127.0.0.1:6379/0',
      allowedHosts: ['localhost', '127.0.0.1', '[::1]', 'chat.example.com', '.example.org'],
      presenceIntervalMs: 250,
    })
    expect(loadSettings({ CHANNEL_LAYER_URL: '' }).channelLayerUrl).toBeNull()
  })

  it.each([
    [
      { CHANNEL_LAYER_URL: 'memcached://x' },
      'CHANNEL_LAYER_URL must be a redis:// or rediss:// URL.',
    ],
    [
      { CHAT_PRESENCE_INTERVAL_MS: 'soon' },
      'CHAT_PRESENCE_INTERVAL_MS must be a number of milliseconds.',
    ],
    [{ CHAT_PRESENCE_INTERVAL_MS: '5' }, 'CHAT_PRESENCE_INTERVAL_MS must be at least 10.'],
    [
      { CHAT_PRESENCE_INTERVAL_MS: '1.5' },
      'CHAT_PRESENCE_INTERVAL_MS must be a whole number of milliseconds.',
    ],
  ])('refuses %j', (env, message) => {
    expect(() => loadSettings(env)).toThrow(new SettingsError(message))
  })
})

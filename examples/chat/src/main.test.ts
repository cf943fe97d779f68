// main.ts and asgi.ts as a user runs them: `node dist/main.js` and `node-channels serve`.
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { ChatSocket, MAIN_JS, requireBuild, runProcess, startProcess } from './process.test-util.js'

const CLI_JS = fileURLToPath(new URL('../../../packages/server/dist/cli.js', import.meta.url))

describe('node dist/main.js', { timeout: 30_000 }, () => {
  beforeAll(() => requireBuild())

  it('serves the chat on the in-memory layer with --port 0, and stops on SIGINT', async () => {
    const chat = await startProcess([MAIN_JS, '--port', '0'], { CHANNEL_LAYER_URL: '' })
    expect(chat.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(chat.output()).toContain(`Chat running at ${chat.url}/ on the in-memory channel layer.`)
    const page = await fetch(`${chat.url}/`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('What chat room would you like to enter?')
    const socket = await ChatSocket.open(chat.url, 'lobby')
    socket.send({ type: 'join', nickname: 'Ada' })
    expect(await socket.next()).toMatchObject({ type: 'welcome', you: { nickname: 'Ada' } })
    chat.child.kill('SIGINT')
    expect(await chat.exited).toBe(0)
    expect(chat.output()).toContain('Chat stopped.')
  })

  it('allows WebSocket origins on the allowed hosts, and only those', async () => {
    const chat = await startProcess([MAIN_JS, '--port', '0'], {
      CHANNEL_LAYER_URL: '',
      CHAT_ALLOWED_HOSTS: 'chat.example.com',
    })
    const port = new URL(chat.url).port
    // Another host than the Host header, but an allowed one: a page served elsewhere.
    for (const origin of [`http://localhost:${port}`, 'https://chat.example.com']) {
      const socket = await ChatSocket.open(chat.url, 'lobby', origin)
      socket.send({ type: 'join', nickname: 'Ada' })
      expect(await socket.next()).toMatchObject({ type: 'welcome' })
    }
    await expect(ChatSocket.open(chat.url, 'lobby', 'http://evil.example')).rejects.toThrow(
      'The WebSocket handshake was answered 403.',
    )
    chat.child.kill('SIGTERM')
    expect(await chat.exited).toBe(0)
  })

  it('takes the port from PORT', async () => {
    const chat = await startProcess([MAIN_JS], { PORT: '0', CHANNEL_LAYER_URL: '' })
    expect(chat.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    chat.child.kill('SIGTERM')
    expect(await chat.exited).toBe(0)
  })

  it.each([
    [['--port', 'eighty'], {}, 'chat: the port must be a number from 0 to 65535, not "eighty".\n'],
    [['--port', '70000'], {}, 'chat: the port must be a number from 0 to 65535, not "70000".\n'],
    [
      [],
      { CHANNEL_LAYER_URL: 'memcached://x' },
      'chat: CHANNEL_LAYER_URL must be a redis:// or rediss:// URL.\n',
    ],
    [
      [],
      { CHANNEL_LAYER_URL: 'redis://127.0.0.1:6379?bogus=1' },
      'chat: CHANNEL_LAYER_URL: Unknown channel layer URL parameter "bogus"; expected one of layer, prefix, symmetricEncryptionKeys, db, capacity, expiryMs, groupExpiryMs, maxMessageBytes, connectTimeoutMs, commandTimeoutMs, randomPrefixLength.\n',
    ],
  ])('refuses %j %j with status 2', async (args, env, message) => {
    const result = await runProcess([MAIN_JS, ...args], env)
    expect(result).toEqual({ code: 2, stdout: '', stderr: message })
  })

  it('prints its usage', async () => {
    const result = await runProcess([MAIN_JS, '--help'])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(
      'Usage: node examples/chat/dist/main.js [--host HOST] [--port PORT]',
    )
  })
})

describe('node-channels serve src/asgi.ts', { timeout: 30_000 }, () => {
  beforeAll(() => requireBuild())

  it('serves the module-level application', async () => {
    const chat = await startProcess([CLI_JS, 'serve', 'src/asgi.ts', '--port', '0'], {
      CHANNEL_LAYER_URL: '',
    })
    const css = await fetch(`${chat.url}/static/chat.css`)
    expect(css.status).toBe(200)
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8')
    const socket = await ChatSocket.open(chat.url, 'lobby')
    socket.send({ type: 'join', nickname: 'Ada' })
    expect(await socket.next()).toMatchObject({ type: 'welcome', room: 'lobby' })
    chat.child.kill('SIGTERM')
    expect(await chat.exited).toBe(0)
  })
})

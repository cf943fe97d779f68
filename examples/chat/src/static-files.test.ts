import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resetChannelLayers } from '@node-channels/core'
import { serve } from '@node-channels/server'
import { HttpCommunicator } from '@node-channels/testing'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { createApplication, PUBLIC_DIR } from './application.js'
import { InMemoryHistoryStore } from './history.js'
import { resolveStaticFile } from './static-files.js'

let root: string
let outside: string

beforeAll(async () => {
  const base = await mkdtemp(join(tmpdir(), 'chat-static-'))
  root = join(base, 'public')
  outside = join(base, 'secret.txt')
  await mkdir(join(root, 'css'), { recursive: true })
  await writeFile(join(root, 'css', 'site.css'), 'body { color: red }')
  await writeFile(join(root, 'app.js'), 'export {}')
  await writeFile(join(root, '.env'), 'SECRET=1')
  await writeFile(join(root, 'data.bin'), new Uint8Array([1, 2]))
  await writeFile(outside, 'top secret')
  await symlink(outside, join(root, 'leak.txt'))
  await symlink(join(root, 'app.js'), join(root, 'alias.js'))
})

afterAll(async () => {
  await rm(join(root, '..'), { recursive: true, force: true })
})

describe('resolveStaticFile', () => {
  it('finds files with their content type', async () => {
    expect(await resolveStaticFile(root, 'css/site.css')).toMatchObject({
      size: 19,
      contentType: 'text/css; charset=utf-8',
    })
    expect(await resolveStaticFile(root, 'app.js')).toMatchObject({
      contentType: 'text/javascript; charset=utf-8',
    })
    expect(await resolveStaticFile(root, 'data.bin')).toMatchObject({
      contentType: 'application/octet-stream',
    })
    // A link that stays inside the root is fine.
    expect(await resolveStaticFile(root, 'alias.js')).toMatchObject({ size: 9 })
  })

  it.each([
    ['../secret.txt'],
    ['css/../../secret.txt'],
    ['css/../app.js'],
    ['./app.js'],
    ['css//site.css'],
    ['/etc/passwd'],
    ['..\\secret.txt'],
    ['app.js\u0000.css'],
    ['.env'],
    ['css/.hidden'],
    ['leak.txt'],
    ['css'],
    ['css/'],
    ['missing.js'],
    [''],
    ['a/'.repeat(300)],
  ])('refuses %j', async (path) => {
    expect(await resolveStaticFile(root, path)).toBeNull()
  })
})

describe('the chat over HTTP', () => {
  const app = createApplication({
    history: new InMemoryHistoryStore(),
    allowedHosts: ['127.0.0.1'],
  })
  const get = (path: string, method = 'GET', headers: Array<[string, string]> = []) =>
    new HttpCommunicator(app, method, path, { headers }).getResponse()
  const header = (response: { headers: Array<[string, string]> }, name: string) =>
    response.headers.find(([key]) => key === name)?.[1]
  const text = (response: { body: Uint8Array }) => Buffer.from(response.body).toString('utf8')

  it('serves the index page with security headers', async () => {
    const response = await get('/')
    expect(response.status).toBe(200)
    expect(header(response, 'content-type')).toBe('text/html; charset=utf-8')
    expect(header(response, 'x-content-type-options')).toBe('nosniff')
    expect(header(response, 'content-security-policy')).toContain("default-src 'self'")
    expect(header(response, 'cache-control')).toBe('no-cache')
    expect(text(response)).toContain('What chat room would you like to enter?')
  })

  it.each([
    ['/static/chat.css', 'text/css; charset=utf-8'],
    ['/static/room.js', 'text/javascript; charset=utf-8'],
    ['/static/favicon.svg', 'image/svg+xml'],
  ])('serves %s as %s, with validators', async (path, type) => {
    const response = await get(path)
    expect(response.status).toBe(200)
    expect(header(response, 'content-type')).toBe(type)
    expect(header(response, 'content-length')).toBe(String(response.body.byteLength))
    expect(header(response, 'etag')).toMatch(/^W\/"[0-9a-f]+-[0-9a-f]+"$/)
    expect(header(response, 'last-modified')).toMatch(/ GMT$/)
  })

  it('answers 304 to a request for the copy the client has', async () => {
    const first = await get('/static/chat.css')
    const etag = header(first, 'etag') ?? ''
    const again = await get('/static/chat.css', 'GET', [['if-none-match', etag]])
    expect(again.status).toBe(304)
    expect(again.body.byteLength).toBe(0)
    const since = header(first, 'last-modified') ?? ''
    expect((await get('/static/chat.css', 'GET', [['if-modified-since', since]])).status).toBe(304)
    const stale = await get('/static/chat.css', 'GET', [['if-none-match', 'W/"0-0"']])
    expect(stale.status).toBe(200)
  })

  it('answers HEAD with the headers only, and other methods with 405', async () => {
    const head = await get('/static/chat.css', 'HEAD')
    expect(head.status).toBe(200)
    expect(head.body.byteLength).toBe(0)
    expect(Number(header(head, 'content-length'))).toBeGreaterThan(100)
    const post = await get('/static/chat.css', 'POST')
    expect(post.status).toBe(405)
    expect(header(post, 'allow')).toBe('GET, HEAD')
    expect(text(post)).toBe('Method Not Allowed\n')
  })

  it.each([
    ['/static/../index.html'],
    ['/static/%2e%2e/%2e%2e/package.json'],
    ['/static/..%2F..%2Fpackage.json'],
    ['/static/%5c..%5cpackage.json'],
    ['/static/chat.css%00.js'],
    ['/static/.gitignore'],
    ['/static/nope.css'],
  ])('answers the asset %s with a plain 404', async (path) => {
    const response = await get(path)
    expect(response.status).toBe(404)
    expect(header(response, 'content-type')).toBe('text/plain; charset=utf-8')
    expect(text(response)).toBe('Not Found\n')
  })

  it.each([['/static/'], ['/nowhere'], ['/index.html/'], ['/chat/']])(
    'answers the page %s with the 404 page',
    async (path) => {
      const response = await get(path)
      expect(response.status).toBe(404)
      expect(header(response, 'content-type')).toBe('text/html; charset=utf-8')
      expect(text(response)).toContain('Page not found')
    },
  )

  it('serves the room page for a valid room, and the 404 page for a bad one', async () => {
    const room = await get('/chat/lobby/')
    expect(room.status).toBe(200)
    expect(text(room)).toContain('id="chat-log"')
    expect((await get(`/chat/${encodeURIComponent('東京')}/`)).status).toBe(200)
    for (const bad of ['/chat/a.b/', '/chat/%3Cscript%3E/', `/chat/${'x'.repeat(41)}/`]) {
      const response = await get(bad)
      expect(response.status).toBe(404)
      expect(text(response)).toContain('Page not found')
    }
  })

  it('redirects a room URL without its trailing slash', async () => {
    const plain = await get('/chat/lobby')
    expect(plain.status).toBe(301)
    expect(header(plain, 'location')).toBe('/chat/lobby/')
    const encoded = await get('/chat/caf%C3%A9?x=1')
    expect(header(encoded, 'location')).toBe('/chat/caf%C3%A9/?x=1')
  })
})

describe('the static handler behind the real server', () => {
  it('refuses traversal in raw request paths', async () => {
    const handle = await serve(
      createApplication({ history: new InMemoryHistoryStore(), allowedHosts: [] }),
      { host: '127.0.0.1', port: 0 },
    )
    onTestFinished(async () => {
      await handle.close()
      await resetChannelLayers()
    })
    const fetchRaw = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port: handle.address.port, path, method: 'GET' },
          (res) => {
            const chunks: Buffer[] = []
            res.on('data', (chunk: Buffer) => chunks.push(chunk))
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
            )
            res.on('error', reject)
          },
        )
        req.on('error', reject)
        req.setTimeout(5000, () => req.destroy(new Error(`GET ${path} timed out.`)))
        req.end()
      })
    expect((await fetchRaw('/static/chat.css')).status).toBe(200)
    for (const path of [
      '/static/../../package.json',
      '/static/%2e%2e/%2e%2e/package.json',
      '/static/..%2f..%2fpackage.json',
      '/static/%2e%2e%5c%2e%2e%5cpackage.json',
      `/static/${PUBLIC_DIR}/index.html`,
    ]) {
      const response = await fetchRaw(path)
      expect(response.status).toBe(404)
      expect(response.body).not.toContain('"name"')
    }
  })
})

// The browser client in Chromium: WebSocket when it can, long polling when WebSocket is
// blocked (in the page, or refused by the server), and reconnection after a server restart.
// Skipped only when /usr/bin/chromium is missing and CI is not set.
import {
  type Application,
  InMemoryChannelLayer,
  setChannelLayer,
  WebsocketConsumer,
  type WebsocketFrame,
} from '@node-channels/core'
import { ProtocolTypeRouter, path, URLRouter } from '@node-channels/router'
import { browserClient, longPoll, type ServerHandle, serve } from '@node-channels/server'
import { chromiumNeeded, launchChromium } from '@node-channels/test-support/chromium'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'

const available = chromiumNeeded()

/** Echoes frames, text and binary; says which scope type it saw for text `who`. */
class Echo extends WebsocketConsumer {
  override receive({ textData, bytesData }: WebsocketFrame): Promise<void> {
    if (bytesData) return this.send({ bytesData: Uint8Array.from(bytesData, (b) => 255 - b) })
    return this.send({ textData: `echo: ${textData}` })
  }
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>client</title>
<script type="module">
  import { connect } from '/client.js'
  window.log = []
  const socket = connect('/ws/echo/', { minReconnectDelayMs: 100, maxReconnectDelayMs: 400, connectTimeoutMs: 3000 })
  window.socket = socket
  socket.onopen = () => window.log.push('open:' + socket.transport)
  socket.onclose = (e) => window.log.push('close:' + e.code + ':' + e.willReconnect)
  socket.onmessage = (e) => window.log.push(typeof e.data === 'string' ? e.data : 'bytes:' + [...new Uint8Array(e.data)].join(','))
</script>`

/** The page, the client, the long-poll endpoints; WebSockets only when `withWebSocket`. */
function application(withWebSocket: boolean): Application {
  const echo = URLRouter([path('ws/echo/', Echo.asAsgi())])
  const page: Application = async (_scope, _receive, send) => {
    await send({
      type: 'http.response.start',
      status: 200,
      headers: [['content-type', 'text/html']],
    })
    await send({ type: 'http.response.body', body: new TextEncoder().encode(PAGE) })
  }
  return ProtocolTypeRouter({
    http: URLRouter([
      path('lp/', longPoll(echo, { pollTimeoutMs: 2000 })),
      path('client.js', browserClient()),
      path('', page),
    ]),
    // Without a websocket entry every upgrade is refused (500): WebSocket is "blocked".
    ...(withWebSocket ? { websocket: echo } : {}),
  })
}

const errors: string[] = []

async function start(withWebSocket = true, port = 0): Promise<ServerHandle> {
  setChannelLayer(new InMemoryChannelLayer())
  const handle = await serve(application(withWebSocket), {
    port,
    applicationCloseTimeoutMs: 500,
    // Expected here: refused upgrades (no websocket entry) and the restarts' lost sessions.
    logger: { debug() {}, warn() {}, error: (message) => errors.push(message) },
  })
  onTestFinished(() => handle.close())
  return handle
}

/** Waits (at most 10 s) until the page's log has an entry matching `pattern`. */
async function logged(page: Page, pattern: RegExp, count = 1): Promise<string[]> {
  await page.waitForFunction(
    ([source, flags, n]) =>
      ((globalThis as unknown as { log?: string[] }).log ?? []).filter((line) =>
        new RegExp(source as string, flags as string).test(line),
      ).length >= (n as number),
    [pattern.source, pattern.flags, count] as const,
    { timeout: 10_000 },
  )
  return page.evaluate(() => (globalThis as unknown as { log: string[] }).log)
}

describe.skipIf(!available)('the browser client in Chromium', () => {
  let browser: Browser

  beforeAll(async () => {
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
  })

  async function openPage(url: string, blockWebSocket = false): Promise<Page> {
    const page = await browser.newPage()
    onTestFinished(() => page.close())
    if (blockWebSocket) {
      await page.addInitScript(() => {
        ;(globalThis as { WebSocket?: unknown }).WebSocket = function blocked() {
          throw new Error('WebSocket is blocked here')
        }
      })
    }
    await page.goto(url)
    return page
  }

  const send = (page: Page, data: string | number[]) =>
    page.evaluate((value) => {
      const socket = (globalThis as unknown as { socket: { send(d: unknown): void } }).socket
      socket.send(typeof value === 'string' ? value : new Uint8Array(value))
    }, data)

  it('uses a WebSocket when it can', async () => {
    const handle = await start()
    const page = await openPage(`${handle.url}/`)
    await logged(page, /^open:/)
    await send(page, 'hi')
    expect(await logged(page, /^echo: hi$/)).toEqual(['open:websocket', 'echo: hi'])
  })

  it('falls back to long polling when the page cannot open a WebSocket', async () => {
    const handle = await start()
    const page = await openPage(`${handle.url}/`, true)
    await logged(page, /^open:/)
    await send(page, 'over http')
    await send(page, [0, 1, 254])
    expect(await logged(page, /^bytes:/)).toEqual([
      'open:long-poll',
      'echo: over http',
      'bytes:255,254,1',
    ])
  })

  it('falls back to long polling when the server refuses WebSocket upgrades', async () => {
    const handle = await start(false)
    const page = await openPage(`${handle.url}/`)
    await logged(page, /^open:/)
    await send(page, 'refused upgrade')
    expect(await logged(page, /^echo:/)).toEqual(['open:long-poll', 'echo: refused upgrade'])
  })

  it.each([false, true])(
    'reconnects after a server restart (WebSocket blocked: %s)',
    async (blocked) => {
      const first = await start()
      const port = first.address.port
      const page = await openPage(`${first.url}/`, blocked)
      const transport = blocked ? 'long-poll' : 'websocket'
      await logged(page, /^open:/)
      await first.close()
      // The server said "going away" (1001): the client reconnects with backoff...
      await logged(page, /^close:1001:true$/)
      const second = await start(true, port)
      await logged(page, /^open:/, 2)
      await send(page, 'again')
      const log = await logged(page, /^echo: again$/)
      expect(log.filter((line) => line.startsWith('open:'))).toEqual([
        `open:${transport}`,
        `open:${transport}`,
      ])
      await second.close()
    },
  )
})

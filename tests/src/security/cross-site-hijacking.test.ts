// Cross-site WebSocket hijacking: a page on another site opens a WebSocket to our server
// with the victim's cookies. The browser sends the page's Origin, which the server checks
// by default (403 before the application runs); OriginValidator does the same in the app.
import { AllowedHostsOriginValidator, type Application, OriginValidator } from '@node-channels/core'
import { ProtocolTypeRouter, path, URLRouter } from '@node-channels/router'
import { describe, expect, it } from 'vitest'
import { EchoConsumer, handshakeStatus, startServer, type TestServer } from './harness.js'
import { underAttack } from './under-attack.js'

let instances = 0
const routes: Application = URLRouter([path('ws/echo/', EchoConsumer.asAsgi())])
const counted = (inner: Application): Application =>
  ProtocolTypeRouter({
    websocket: (scope, receive, send) => {
      instances++
      return inner(scope, receive, send)
    },
  })

const { server, alsoClose } = underAttack(() => startServer(counted(routes)))

/** Another server on the same routes with `options`, closed after the file's tests. */
async function extraServer(
  application: Application,
  options: Parameters<typeof startServer>[1],
): Promise<TestServer> {
  return alsoClose(await startServer(application, options))
}

describe('the default server against cross-site WebSocket hijacking', () => {
  it('answers 403 to a foreign Origin before the application runs, and logs it', async () => {
    const before = instances
    const status = await handshakeStatus(server.port, '/ws/echo/', ['Origin: https://evil.example'])
    expect(status).toBe(403)
    expect(instances).toBe(before)
    const line = await server.logger.waitFor(/Refused the WebSocket handshake/)
    expect(line).toMatch(
      new RegExp(
        `^warn: Refused the WebSocket handshake for /ws/echo/ from 127\\.0\\.0\\.1:\\d+: origin "https://evil\\.example" is neither the server's own \\(Host "127\\.0\\.0\\.1:${server.port}"\\) nor allowed; answered 403\\.$`,
      ),
    )
    expect(server.access.some((entry) => /"WSREJECT \/ws\/echo\/" 403 -$/.test(entry))).toBe(true)
  })

  it.each([
    ['a look-alike host', (port: number) => `http://127.0.0.1.evil.example:${port}`],
    ['the same host on another port', (port: number) => `http://127.0.0.1:${port + 1}`],
    ['another name for the same address', (port: number) => `http://localhost:${port}`],
    ['the opaque origin null (sandboxed frame, file: page)', () => 'null'],
    ['an origin without a scheme', (port: number) => `127.0.0.1:${port}`],
  ])('answers 403 to %s', async (_what, origin) => {
    const before = instances
    const status = await handshakeStatus(server.port, '/ws/echo/', [
      `Origin: ${origin(server.port)}`,
    ])
    expect(status).toBe(403)
    expect(instances).toBe(before)
  })

  it('answers 403 to two Origin headers, even when the first is the server’s own', async () => {
    const status = await handshakeStatus(server.port, '/ws/echo/', [
      `Origin: http://127.0.0.1:${server.port}`,
      'Origin: https://evil.example',
    ])
    expect(status).toBe(403)
  })

  it('accepts its own origin, in any letter case', async () => {
    expect(
      await handshakeStatus(server.port, '/ws/echo/', [`Origin: HTTP://127.0.0.1:${server.port}`]),
    ).toBe(101)
  })

  it('accepts a client that sends no Origin (not a browser, so not a hijacking victim)', async () => {
    expect(await handshakeStatus(server.port, '/ws/echo/')).toBe(101)
  })
})

describe('the origin options', () => {
  it('requireOrigin: answers 403 to a handshake without Origin', async () => {
    const strict = await extraServer(routes, { requireOrigin: true })
    expect(await handshakeStatus(strict.port, '/ws/echo/')).toBe(403)
    expect(
      await handshakeStatus(strict.port, '/ws/echo/', [`Origin: http://127.0.0.1:${strict.port}`]),
    ).toBe(101)
    await strict.logger.waitFor(/: no Origin header; answered 403\.$/)
  })

  it("allowedOrigins: accepts the listed origins with OriginValidator's patterns", async () => {
    const partner = await extraServer(routes, {
      allowedOrigins: ['.partner.test', 'https://app.example.com:8443'],
    })
    const status = (origin: string) =>
      handshakeStatus(partner.port, '/ws/echo/', [`Origin: ${origin}`])
    expect(await status('https://chat.partner.test')).toBe(101)
    expect(await status('https://app.example.com:8443')).toBe(101)
    expect(await status('https://app.example.com')).toBe(403)
    expect(await status('https://partner.test.evil.example')).toBe(403)
    expect(await status(`http://127.0.0.1:${partner.port}`)).toBe(101)
  })

  it("allowedOrigins ['*'] (the CLI's --no-origin-check) turns the check off", async () => {
    const open = await extraServer(routes, { allowedOrigins: ['*'] })
    expect(await handshakeStatus(open.port, '/ws/echo/', ['Origin: https://evil.example'])).toBe(
      101,
    )
  })
})

describe('OriginValidator middleware against cross-site WebSocket hijacking', () => {
  it('answers 403 from the application when the server check is off', async () => {
    const validated = await extraServer(
      ProtocolTypeRouter({ websocket: OriginValidator(routes, ['https://chat.example.com']) }),
      { allowedOrigins: ['*'] },
    )
    const status = (extra: string[]) => handshakeStatus(validated.port, '/ws/echo/', extra)
    expect(await status(['Origin: https://evil.example'])).toBe(403)
    expect(await status(['Origin: https://chat.example.com'])).toBe(101)
    // Unlike the server's check, OriginValidator refuses a missing Origin (Channels' rule).
    expect(await status([])).toBe(403)
    expect(validated.access.some((entry) => /"WSREJECT \/ws\/echo\/" 403 -$/.test(entry))).toBe(
      true,
    )
  })

  it('adds its list on top of the default server check', async () => {
    const both = await extraServer(
      ProtocolTypeRouter({ websocket: AllowedHostsOriginValidator(routes, ['chat.example.com']) }),
      { allowedOrigins: ['chat.example.com'] },
    )
    const status = (origin: string) =>
      handshakeStatus(both.port, '/ws/echo/', [`Origin: ${origin}`])
    expect(await status('https://chat.example.com')).toBe(101)
    // Same-origin passes the server but not the application's own list.
    expect(await status(`http://127.0.0.1:${both.port}`)).toBe(403)
    expect(await status('https://evil.example')).toBe(403)
  })
})

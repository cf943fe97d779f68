import { describe, expect, it } from 'vitest'
import type { Application, Message } from '../types.js'
import { kPathRouting } from '../types.js'
import {
  acceptingApp,
  connectWebsocket,
  httpScope,
  run,
  websocketScope,
} from './harness.test-util.js'
import {
  AllowedHostsOriginValidator,
  DEBUG_ALLOWED_HOSTS,
  OriginValidator,
} from './origin-validator.js'
import { WebsocketDenier } from './websocket-denier.js'

const ACCEPTED: Message = { type: 'websocket.accept' }
const DENIED: Message = { type: 'websocket.close' }

async function answer(allowed: readonly string[], origins: string[] | null): Promise<Message> {
  const headers: Array<[string, string]> = (origins ?? []).map((origin) => ['origin', origin])
  return connectWebsocket(OriginValidator(acceptingApp, allowed), websocketScope(headers))
}

describe('OriginValidator', () => {
  // Channels' tests/security/test_websocket.py::test_origin_validator, case by case.
  it.each([
    [['allowed-domain.com'], ['http://allowed-domain.com'], ACCEPTED],
    [['allowed-domain.com'], ['http://bad-domain.com'], DENIED],
    [['*.allowed-domain.com'], ['http://allowed-domain.com'], DENIED],
    [['.allowed-domain.com'], ['http://www.allowed-domain.com'], ACCEPTED],
    [['http://allowed-domain.com'], ['http://allowed-domain.com'], ACCEPTED],
    [['http://allowed-domain.com'], ['https://bad-domain.com:443'], DENIED],
    [['*'], null, ACCEPTED],
    [[], null, DENIED],
    [['.allowed-domain.com'], [''], DENIED],
    [['.allowed-domain.com'], ['something-invalid'], DENIED],
  ])('test_origin_validator: %j with origin %j', async (allowed, origins, expected) => {
    expect(await answer(allowed, origins)).toEqual(expected)
  })

  it.each([
    // Ports, explicit and default.
    [['http://example.com'], ['http://example.com:80'], ACCEPTED],
    [['http://example.com'], ['http://example.com:8080'], DENIED],
    [['https://example.com'], ['https://example.com:443'], ACCEPTED],
    [['wss://example.com'], ['https://example.com'], DENIED],
    [['http://example.com:8000'], ['http://example.com:8000'], ACCEPTED],
    [['http://example.com:8000'], ['http://example.com'], DENIED],
    [['example.com'], ['https://example.com:8443'], ACCEPTED],
    // Schemes and case.
    [['https://example.com'], ['http://example.com'], DENIED],
    [['HTTP://Example.COM'], ['http://example.com'], ACCEPTED],
    [['example.com'], ['HTTPS://EXAMPLE.COM'], ACCEPTED],
    // Leading-dot subdomains, with and without a scheme.
    [['http://.example.com'], ['http://a.b.example.com'], ACCEPTED],
    [['http://.example.com'], ['http://example.com'], ACCEPTED],
    [['.example.com'], ['http://notexample.com'], DENIED],
    [['example.com'], ['http://www.example.com'], DENIED],
    // Cross-site WebSocket hijacking attempts.
    [['allowed.com'], ['http://allowed.com@evil.com'], DENIED],
    [['allowed.com'], ['http://evil.com/allowed.com'], DENIED],
    [['.allowed.com'], ['http://allowed.com.evil.com'], DENIED],
    [['allowed.com'], ['null'], DENIED],
    [['*'], ['null'], ACCEPTED],
    // Missing origin: only '*' lets it in.
    [['example.com'], null, DENIED],
    [['example.com', '*'], null, ACCEPTED],
    // Channels quirks, kept: a scheme-less host:port never matches; IPv6 ignores the port.
    [['localhost:8000'], ['http://localhost:8000'], DENIED],
    [['[::1]'], ['http://[::1]:8000'], ACCEPTED],
    // Garbage origins are refused, never a crash.
    [['example.com'], ['http://[::1'], DENIED],
    [['http://example.com'], ['http://example.com:99999'], DENIED],
    [['example.com'], ['\x00\x01\xff'], DENIED],
  ])('%j with origin %j', async (allowed, origins, expected) => {
    expect(await answer(allowed, origins)).toEqual(expected)
  })

  it('gives one validator the same verdicts, origin after origin, beyond those it keeps', async () => {
    const app = OriginValidator(acceptingApp, ['.allowed.com'])
    const connect = (origin: string) => connectWebsocket(app, websocketScope([['origin', origin]]))
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 100; i++) {
        expect(await connect(`http://site${i}.allowed.com`)).toEqual(ACCEPTED)
        expect(await connect(`http://site${i}.evil.com`)).toEqual(DENIED)
      }
      expect(await connect('http://allowed.com')).toEqual(ACCEPTED)
      expect(await connect('http://allowed.com.evil.com')).toEqual(DENIED)
    }
  })

  it('uses the last Origin header, as Channels does', async () => {
    expect(await answer(['good.com'], ['http://evil.com', 'http://good.com'])).toEqual(ACCEPTED)
    expect(await answer(['good.com'], ['http://good.com', 'http://evil.com'])).toEqual(DENIED)
  })

  it('never starts the inner application for a refused connection', async () => {
    let started = false
    const inner: Application = async () => {
      started = true
    }
    const answered = await connectWebsocket(
      OriginValidator(inner, ['good.com']),
      websocketScope([['origin', 'http://evil.com']]),
    )
    expect([answered, started]).toEqual([DENIED, false])
  })

  it("throws Django's error for a non-WebSocket scope", async () => {
    const running = run(OriginValidator(acceptingApp, ['*']), httpScope())
    await expect(running.done).rejects.toThrow(
      new TypeError('You cannot use OriginValidator on a non-WebSocket connection'),
    )
  })

  it('refuses an allowed list that is not a list of strings', () => {
    expect(() => OriginValidator(acceptingApp, 'example.com' as unknown as string[])).toThrow(
      new TypeError(
        'OriginValidator needs a list of allowed origins (strings); got "example.com".',
      ),
    )
  })

  it('keeps the path-routing marker and copies the list (later changes do not widen it)', async () => {
    const router: Application = Object.assign(async () => {}, { [kPathRouting]: true })
    expect(kPathRouting in OriginValidator(router, [])).toBe(true)
    const allowed = ['good.com']
    const app = OriginValidator(acceptingApp, allowed)
    allowed.push('evil.com')
    expect(await connectWebsocket(app, websocketScope([['origin', 'http://evil.com']]))).toEqual(
      DENIED,
    )
  })
})

describe('AllowedHostsOriginValidator', () => {
  it('refuses every connection with an empty list', async () => {
    const app = AllowedHostsOriginValidator(acceptingApp, [])
    expect(await connectWebsocket(app, websocketScope([['origin', 'http://localhost']]))).toEqual(
      DENIED,
    )
  })

  it("accepts local origins with DEBUG_ALLOWED_HOSTS, Django's DEBUG fallback", async () => {
    expect(DEBUG_ALLOWED_HOSTS).toEqual(['localhost', '127.0.0.1', '[::1]'])
    const app = AllowedHostsOriginValidator(acceptingApp, DEBUG_ALLOWED_HOSTS)
    for (const origin of ['http://localhost:3000', 'https://127.0.0.1', 'http://[::1]:8000']) {
      expect(await connectWebsocket(app, websocketScope([['origin', origin]]))).toEqual(ACCEPTED)
    }
    expect(await connectWebsocket(app, websocketScope([['origin', 'http://evil.com']]))).toEqual(
      DENIED,
    )
  })

  it('matches host patterns as ALLOWED_HOSTS does, including a leading dot', async () => {
    const app = AllowedHostsOriginValidator(acceptingApp, ['.example.com'])
    expect(
      await connectWebsocket(app, websocketScope([['origin', 'https://chat.example.com']])),
    ).toEqual(ACCEPTED)
  })
})

describe('WebsocketDenier', () => {
  it('answers connect with a close without a code, then ends on disconnect', async () => {
    const running = run(WebsocketDenier, websocketScope())
    running.input({ type: 'websocket.connect' })
    expect(await running.output()).toEqual({ type: 'websocket.close' })
    running.input({ type: 'websocket.receive', text: 'ignored' })
    running.input({ type: 'websocket.disconnect', code: 1006 })
    await expect(running.done).resolves.toBeUndefined()
  })

  it('refuses a non-WebSocket scope', async () => {
    await expect(run(WebsocketDenier, httpScope()).done).rejects.toThrow(
      new TypeError('WebsocketDenier only handles WebSocket connections; got scope type "http".'),
    )
  })
})

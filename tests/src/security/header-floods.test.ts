// Header floods and slowloris: too many or too large headers are answered 431 before any
// application runs; a client that dribbles its request head (or sends nothing) is answered
// 408 and dropped within headersTimeoutMs; a dribbled body within requestTimeoutMs.
import type { Socket } from 'node:net'
import { AsyncHttpConsumer } from '@node-channels/core'
import { ProtocolTypeRouter, path, URLRouter } from '@node-channels/router'
import { describe, expect, it } from 'vitest'
import { EchoConsumer, handshakeRequest, rawExchange, startServer } from './harness.js'
import { underAttack } from './under-attack.js'

const HEADERS_TIMEOUT_MS = 400
const REQUEST_TIMEOUT_MS = 800
let applicationRuns = 0

class Upload extends AsyncHttpConsumer {
  override handle(body: Uint8Array): Promise<void> {
    applicationRuns++
    return this.sendResponse(200, `got ${body.byteLength} bytes`)
  }
}

const { server } = underAttack(() =>
  startServer(
    ProtocolTypeRouter({
      http: URLRouter([path('upload/', Upload.asAsgi())]),
      websocket: URLRouter([path('ws/echo/', EchoConsumer.asAsgi())]),
    }),
    { headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS },
  ),
)

/** `count` header lines `X-Flood-<i>: <value>`. */
function floodHeaders(count: number, value = 'x'): string[] {
  return Array.from({ length: count }, (_, i) => `X-Flood-${i}: ${value}`)
}

function httpRequest(target: string, headers: string[]): string {
  return [`GET ${target} HTTP/1.1`, 'Host: 127.0.0.1', ...headers, '', ''].join('\r\n')
}

describe('header floods', () => {
  it.each([
    ['5000 headers on an HTTP request', () => httpRequest('/upload/', floodHeaders(5000))],
    [
      '5000 headers on a handshake',
      (port: number) => handshakeRequest('/ws/echo/', port, floodHeaders(5000)),
    ],
    ['one 64 KiB header', () => httpRequest('/upload/', [`X-Big: ${'a'.repeat(64 * 1024)}`])],
    ['a 64 KiB request line', () => httpRequest(`/upload/?${'q'.repeat(64 * 1024)}`, [])],
  ])('answers 431 to %s and closes the connection', async (_what, request) => {
    const before = applicationRuns
    const answer = await rawExchange(server.port, request(server.port))
    expect(answer.status).toBe(431)
    expect(answer.closed).toBe(true)
    expect(applicationRuns).toBe(before)
  })

  it('answers 431 to more header fields than maxHeadersCount (100), even small ones', async () => {
    // Host plus 100 more: 101 fields in 1.5 KiB, far under the size limit.
    const http = await rawExchange(server.port, httpRequest('/upload/', floodHeaders(100)))
    expect(http.status).toBe(431)
    expect(http.closed).toBe(true)
    const handshake = await rawExchange(
      server.port,
      handshakeRequest('/ws/echo/', server.port, floodHeaders(100 - 4)),
    )
    expect(handshake.status).toBe(431)
    expect(applicationRuns).toBe(0)
  })

  it('serves a request with exactly maxHeadersCount fields', async () => {
    const answer = await rawExchange(
      server.port,
      httpRequest('/upload/', ['Connection: close', ...floodHeaders(98)]),
    )
    expect(answer.status).toBe(200)
    expect(answer.text.endsWith('got 0 bytes')).toBe(true)
    applicationRuns = 0
  })
})

/** Writes `lines` one at a time, `intervalMs` apart, until the socket closes (at most 200). */
function dribble(lines: string[], intervalMs: number): (socket: Socket) => void {
  return (socket) => {
    let sent = 0
    const timer = setInterval(() => {
      if (socket.destroyed || sent >= lines.length || sent >= 200) {
        clearInterval(timer)
        return
      }
      socket.write(lines[sent++] ?? '')
    }, intervalMs)
    socket.once('close', () => clearInterval(timer))
  }
}

describe('slowloris', () => {
  const tolerance = (answer: { elapsedMs: number }) => {
    // Node checks the timeouts every tenth of headersTimeoutMs.
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 20)
    expect(answer.elapsedMs).toBeLessThan(HEADERS_TIMEOUT_MS * 2)
  }

  it('answers 408 and drops a client dribbling the headers of an HTTP request', async () => {
    const lines = [
      'GET /upload/ HTTP/1.1\r\n',
      'Host: 127.0.0.1\r\n',
      ...floodHeaders(90).map((line) => `${line}\r\n`),
    ]
    const answer = await rawExchange(server.port, dribble(lines, 50), 3000)
    expect(answer.status).toBe(408)
    expect(answer.closed).toBe(true)
    tolerance(answer)
  })

  it('answers 408 and drops a client dribbling a WebSocket handshake', async () => {
    const lines = handshakeRequest('/ws/echo/', server.port, floodHeaders(60))
      .split('\r\n')
      .map((line) => `${line}\r\n`)
    const answer = await rawExchange(server.port, dribble(lines, 50), 3000)
    expect(answer.status).toBe(408)
    expect(answer.closed).toBe(true)
    tolerance(answer)
  })

  it('drops a connection that sends nothing at all', async () => {
    const answer = await rawExchange(server.port, () => {}, 3000)
    expect(answer.closed).toBe(true)
    tolerance(answer)
  })

  it('answers 408 to a request body dribbled past requestTimeoutMs', async () => {
    const head = 'POST /upload/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n'
    const answer = await rawExchange(
      server.port,
      dribble([head, ...Array.from({ length: 99 }, () => 'b')], 50),
      3000,
    )
    expect(answer.status).toBe(408)
    expect(answer.closed).toBe(true)
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 20)
    expect(answer.elapsedMs).toBeLessThan(REQUEST_TIMEOUT_MS * 2)
    expect(applicationRuns).toBe(0)
  })
})

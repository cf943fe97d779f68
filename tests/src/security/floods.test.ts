// Floods: many connections from one address (429 past maxConnectionsPerClient, which
// follows proxyHeaders' client address), too many connections in all (503 past
// maxConnections), and a message flood on one socket (1008 past websocketRateLimit).
import { type Application, WebsocketConsumer, type WebsocketFrame } from '@node-channels/core'
import { ProtocolTypeRouter, path, URLRouter } from '@node-channels/router'
import { describe, expect, it, onTestFinished } from 'vitest'
import { WebSocket } from 'ws'
import {
  EchoConsumer,
  heldHandshake,
  inBatches,
  startServer,
  untilServerConnections,
} from './harness.js'
import { underAttack } from './under-attack.js'

let received = 0

/** Echoes and counts what reached the application. */
class CountingEcho extends WebsocketConsumer {
  override receive({ textData, bytesData }: WebsocketFrame): Promise<void> {
    received++
    return this.send({ textData, bytesData })
  }
}

const application: Application = ProtocolTypeRouter({
  websocket: URLRouter([
    path('ws/echo/', EchoConsumer.asAsgi()),
    path('ws/counted/', CountingEcho.asAsgi()),
  ]),
})

const { server, good, alsoClose } = underAttack(() => startServer(application))

describe('a flood of connections from one address', () => {
  it('admits 256 WebSockets per client address by default, then answers 429', async () => {
    // The good client is the first of the 256.
    const answers = await inBatches(300, 20, () => heldHandshake(server.port, '/ws/echo/'))
    const statuses = answers.map(({ status }) => status)
    expect(statuses.filter((status) => status === 101)).toHaveLength(255)
    expect(statuses.filter((status) => status === 429)).toHaveLength(45)
    const line = await server.logger.waitFor(/answered 429\.$/)
    expect(line).toMatch(
      /^warn: Refused the WebSocket handshake for \/ws\/echo\/ from 127\.0\.0\.1:\d+: "127\.0\.0\.1" has 256 WebSockets open \(maxConnectionsPerClient\); answered 429\.$/,
    )
    await good.assertEchoes()
    // Once the flood goes away, the address gets its places back.
    for (const { socket } of answers) socket.destroy()
    await untilServerConnections(server.handle, 1)
    expect((await heldHandshake(server.port, '/ws/echo/')).status).toBe(101)
  })

  it("counts the proxy's client address when proxyHeaders is on", async () => {
    const proxied = await startServer(application, {
      proxyHeaders: true,
      maxConnectionsPerClient: 3,
    })
    alsoClose(proxied)
    const from = (address: string) =>
      heldHandshake(proxied.port, '/ws/echo/', [`X-Forwarded-For: ${address}`])
    const first = await inBatches(4, 4, () => from('203.0.113.7'))
    expect(first.map(({ status }) => status).sort()).toEqual([101, 101, 101, 429])
    expect((await from('198.51.100.2')).status).toBe(101)
    expect((await from('203.0.113.7, 10.0.0.1')).status).toBe(429)
  })
})

describe('too many connections in all', () => {
  it('answers 503 past maxConnections', async () => {
    const capped = await startServer(application, { maxConnections: 5 })
    alsoClose(capped)
    const answers = await inBatches(8, 8, () => heldHandshake(capped.port, '/ws/echo/'))
    expect(answers.map(({ status }) => status).sort()).toEqual([
      101, 101, 101, 101, 101, 503, 503, 503,
    ])
    await capped.logger.waitFor(/5 WebSockets are open \(maxConnections\); answered 503\.$/)
  })
})

describe('a message flood on one socket', () => {
  /** Opens a client on /ws/counted/ that records the echoes and the close. */
  async function floodClient() {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws/counted/`)
    onTestFinished(() => ws.terminate())
    let echoes = 0
    ws.on('message', () => echoes++)
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.once('close', (code: number, reason: Buffer) =>
        resolve({ code, reason: reason.toString('utf8') }),
      ),
    )
    await new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
    })
    return { ws, closed, echoes: () => echoes }
  }

  it('closes with 1008 past the default rate limit (100 a second, bursts of 200)', async () => {
    received = 0
    const client = await floodClient()
    for (let i = 0; i < 2000; i++) client.ws.send(`flood ${i}`)
    expect(await client.closed).toEqual({ code: 1008, reason: 'Message rate limit exceeded' })
    // The burst got through (and a little refill while the flood arrived); the rest never did.
    expect(received).toBeGreaterThanOrEqual(200)
    expect(received).toBeLessThan(300)
    expect(client.echoes()).toBeLessThanOrEqual(received)
    await server.logger.waitFor(
      /^warn: WebSocket \/ws\/counted\/ from 127\.0\.0\.1:\d+: sent messages faster than websocketRateLimit allows; closing with 1008\.$/,
    )
  })

  it('lets a burst within the limit through, every message echoed (the control case)', async () => {
    received = 0
    const client = await floodClient()
    const all = new Promise<void>((resolve) =>
      client.ws.on('message', () => {
        if (client.echoes() === 150) resolve()
      }),
    )
    for (let i = 0; i < 150; i++) client.ws.send(`burst ${i}`)
    await all
    expect(received).toBe(150)
    client.ws.close(1000)
    expect((await client.closed).code).toBe(1000)
  })
})

// A long-poll client and a WebSocket client in one chat room, across two server processes on
// one Redis: the long-poll client's requests alternate between the two processes.
import { fileURLToPath } from 'node:url'
import { Inbox } from '@node-channels/test-support/inbox'
import { redisNeeded, uniqueRedisUrl } from '@node-channels/test-support/redis'
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { type CliProcess, runCli } from './cli-process.test-util.js'

const APP = fileURLToPath(new URL('./fixtures/chat-app.ts', import.meta.url))
const redisAvailable = await redisNeeded()
const SESSION = 'node-channels-session'

async function startServer(layerUrl: string): Promise<{ cli: CliProcess; url: string }> {
  const cli = runCli(['serve', APP, '--port', '0', '--layer', layerUrl])
  const [, url] = await cli.waitFor(/Listening on (http:\/\/127\.0\.0\.1:\d+)/)
  return { cli, url: url as string }
}

async function post(url: string, body: unknown, session?: string): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (session) headers[SESSION] = session
  return fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  })
}

describe.skipIf(!redisAvailable)('long polling across two server processes on Redis', () => {
  it('lets a long-poll client and a WebSocket client in one room see each other', async () => {
    const layerUrl = uniqueRedisUrl('long-poll')
    const [a, b] = await Promise.all([startServer(layerUrl), startServer(layerUrl)])
    const servers = [a.url, b.url]

    // The long-poll client opens on A: its consumer instance runs in A.
    const opened = await post(`${a.url}/lp/open`, { path: '/ws/chat/lobby/' })
    expect(opened.status).toBe(200)
    const { session } = (await opened.json()) as { session: string }

    // The WebSocket client connects to B.
    const ws = new WebSocket(`${b.url.replace('http', 'ws')}/ws/chat/lobby/`)
    const frames = new Inbox<{ message: string; pid: number }>('WebSocket frame')
    ws.on('message', (data) =>
      frames.push(JSON.parse(String(data)) as { message: string; pid: number }),
    )
    await new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
    })
    const nextFrame = () => frames.next(10_000)

    // Every long-poll request after open goes to the other process than the one before.
    let turn = 1
    const served: string[] = []
    const nextServer = (what = ''): string => {
      const index = turn++ % 2
      if (what) served.push(`${what}:${index === 0 ? 'A' : 'B'}`)
      return servers[index] as string
    }
    let seq = 1
    let ack = 0
    const lpSend = async (text: string): Promise<void> => {
      const response = await post(
        `${nextServer('send')}/lp/send`,
        { seq, frames: [{ type: 'text', data: text }] },
        session,
      )
      expect(response.status).toBe(204)
      seq += 1
    }
    const lpReceive = async (): Promise<Array<{ message: string; pid: number }>> => {
      for (let attempt = 0; attempt < 10; attempt++) {
        const response = await fetch(`${nextServer('poll')}/lp/poll?ack=${ack}`, {
          headers: { [SESSION]: session },
          signal: AbortSignal.timeout(10_000),
        })
        if (response.status === 204) continue
        expect(response.status).toBe(200)
        const { events } = (await response.json()) as {
          events: Array<{ seq: number; data: string }>
        }
        ack = events.at(-1)?.seq ?? ack
        return events.map((event) => JSON.parse(event.data) as { message: string; pid: number })
      }
      throw new Error('no long-poll events in 10 polls')
    }

    // long poll (requests to B, consumer in A) -> group -> WebSocket client on B
    await lpSend('hello from long polling')
    expect(await nextFrame()).toEqual({ message: 'hello from long polling', pid: a.cli.child.pid })
    // The long-poll client sees its own message too (the room's group includes it).
    expect(await lpReceive()).toEqual([
      { message: 'hello from long polling', pid: a.cli.child.pid },
    ])

    // WebSocket client on B -> group -> the long-poll session in A, polled through A and B
    ws.send('hello from a WebSocket')
    expect(await nextFrame()).toEqual({ message: 'hello from a WebSocket', pid: b.cli.child.pid })
    expect(await lpReceive()).toEqual([{ message: 'hello from a WebSocket', pid: b.cli.child.pid }])
    await lpSend('and back again')
    expect(await nextFrame()).toEqual({ message: 'and back again', pid: a.cli.child.pid })
    expect(await lpReceive()).toEqual([{ message: 'and back again', pid: a.cli.child.pid }])
    // Sends and polls were answered by both processes.
    for (const entry of ['send:A', 'send:B', 'poll:A', 'poll:B']) expect(served).toContain(entry)

    const closed = await post(`${nextServer()}/lp/close`, { code: 1000 }, session)
    expect(closed.status).toBe(204)
    ws.close()
    for (const server of [a, b]) server.cli.child.kill('SIGTERM')
  })
})

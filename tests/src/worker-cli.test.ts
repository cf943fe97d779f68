// `node-channels worker` and `--layer` / CHANNEL_LAYER_URL, as child processes: a worker
// process consumes what a consumer in a server process sends, over Redis.
import { fileURLToPath } from 'node:url'
import { Inbox } from '@node-channels/test-support/inbox'
import { redisNeeded, uniqueRedisUrl } from '@node-channels/test-support/redis'
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { exitOf, runCli } from './cli-process.test-util.js'

const APP = fileURLToPath(new URL('./fixtures/worker-app.ts', import.meta.url))
const redisAvailable = await redisNeeded()

/** Opens a WebSocket and collects its text frames. */
async function openSocket(url: string): Promise<{ ws: WebSocket; next(): Promise<string> }> {
  const ws = new WebSocket(url)
  const frames = new Inbox<string>('frame')
  ws.on('message', (data) => frames.push(String(data)))
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  return { ws, next: () => frames.next(10_000) }
}

describe.skipIf(!redisAvailable)('node-channels worker over Redis', () => {
  it('consumes messages a consumer in a server process sends, and stops on SIGTERM', async () => {
    const layerUrl = uniqueRedisUrl('worker-cli')
    // The server takes the layer from --layer, the worker from the environment.
    const server = runCli(['serve', APP, '--port', '0', '--layer', layerUrl])
    const worker = runCli(['worker', APP, 'worker-test-jobs'], { CHANNEL_LAYER_URL: layerUrl })
    const [, port] = await server.waitFor(/Listening on http:\/\/127\.0\.0\.1:(\d+)/)
    await worker.waitFor(/Running worker for channels \["worker-test-jobs"\]/)

    const client = await openSocket(`ws://127.0.0.1:${port}/ws/submit/`)
    client.ws.send('resize cat.png')
    client.ws.send('resize dog.png')
    const first = JSON.parse(await client.next()) as { result: string; pid: number }
    const second = JSON.parse(await client.next()) as { result: string; pid: number }
    expect([first.result, second.result]).toEqual(['RESIZE CAT.PNG #1', 'RESIZE DOG.PNG #2'])
    // Answered by the worker process: one long-lived instance, not the server.
    expect(first.pid).toBe(worker.child.pid)
    expect(second.pid).toBe(worker.child.pid)
    client.ws.close()

    worker.child.kill('SIGTERM')
    expect(await exitOf(worker)).toBe(0)
    expect(worker.output()).toMatch(/Received SIGTERM; shutting down\.\nWorker stopped\.\n$/)
    server.child.kill('SIGTERM')
    expect(await exitOf(server)).toBe(0)
  })

  it('lets two workers share one channel', async () => {
    const layerUrl = uniqueRedisUrl('worker-share')
    const server = runCli(['serve', APP, '--port', '0', '--layer', layerUrl])
    const workers = [1, 2].map(() =>
      runCli(['worker', APP, 'worker-test-jobs', '--layer', layerUrl]),
    )
    const [, port] = await server.waitFor(/Listening on http:\/\/127\.0\.0\.1:(\d+)/)
    for (const worker of workers) await worker.waitFor(/Running worker/)
    const client = await openSocket(`ws://127.0.0.1:${port}/ws/submit/`)
    const count = 20
    for (let i = 0; i < count; i++) client.ws.send(`job ${i}`)
    const pids: number[] = []
    for (let i = 0; i < count; i++)
      pids.push((JSON.parse(await client.next()) as { pid: number }).pid)
    // Every job answered exactly once, by one of the two workers.
    expect(pids).toHaveLength(count)
    for (const pid of pids) expect([workers[0]?.child.pid, workers[1]?.child.pid]).toContain(pid)
    // Redis hands a named channel's messages to whichever worker waits: both take a share.
    expect(new Set(pids).size).toBe(2)
    client.ws.close()
  })
})

describe('node-channels worker refuses what cannot work', () => {
  it('refuses the in-memory layer, which cannot reach other processes', async () => {
    const cli = runCli(['worker', APP, 'worker-test-jobs'])
    expect(await exitOf(cli)).toBe(1)
    expect(cli.output()).toBe(
      'node-channels: The worker needs a channel layer other processes can reach, and the ' +
        'in-memory layer lives in one process only. Pass --layer redis://... or set CHANNEL_LAYER_URL.\n',
    )
    const explicit = runCli(['worker', APP, 'worker-test-jobs', '--layer', 'memory://'])
    expect(await exitOf(explicit)).toBe(1)
    expect(explicit.output()).toMatch(/in-memory layer lives in one process only/)
  })

  it('answers an unknown layer scheme with a usage error naming it (exit 2)', async () => {
    const cli = runCli(['worker', APP, 'jobs', '--layer', 'amqp://localhost'])
    expect(await exitOf(cli)).toBe(2)
    expect(cli.output()).toMatch(
      /^node-channels: --layer: Unknown channel layer URL scheme "amqp:": use memory:\/\/, redis:\/\/ or rediss:\/\/\.\n\nUsage:/,
    )
    const fromEnv = runCli(['serve', APP, '--port', '0'], { CHANNEL_LAYER_URL: 'kafka://x' })
    expect(await exitOf(fromEnv)).toBe(2)
    expect(fromEnv.output()).toMatch(
      /^node-channels: CHANNEL_LAYER_URL: Unknown channel layer URL scheme "kafka:"/,
    )
  })

  it('lets --layer win over CHANNEL_LAYER_URL', async () => {
    const cli = runCli(['serve', APP, '--port', '0', '--layer', 'memory://'], {
      CHANNEL_LAYER_URL: 'kafka://x',
    })
    await cli.waitFor(/Listening on http:\/\/127\.0\.0\.1:\d+/)
    cli.child.kill('SIGINT')
    expect(await exitOf(cli)).toBe(0)
  })
})

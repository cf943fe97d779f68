import { describe, expect, it, onTestFinished } from 'vitest'
import { Heartbeat } from './websocket-heartbeat.js'

class FakeSocket {
  pings = 0
  isPaused = false
  onPing: () => void = () => {}
  ping(): void {
    this.pings++
    this.onPing()
  }
}

function start(socket: FakeSocket, intervalMs: number, timeoutMs: number) {
  let dead: () => void = () => {}
  const died = new Promise<number>((resolve) => {
    const startedAt = performance.now()
    dead = () => resolve(performance.now() - startedAt)
  })
  const heartbeat = new Heartbeat(socket, intervalMs, timeoutMs, dead)
  onTestFinished(() => heartbeat.stop())
  return { heartbeat, died }
}

describe('Heartbeat', () => {
  it('pings an idle peer and declares it dead when the ping goes unanswered', async () => {
    const socket = new FakeSocket()
    const { died } = start(socket, 20, 30)
    const elapsed = await died
    expect(socket.pings).toBe(1)
    expect(elapsed).toBeGreaterThanOrEqual(45)
  })

  it('keeps a peer that answers its pings', async () => {
    const socket = new FakeSocket()
    const { heartbeat, died } = start(socket, 10, 20)
    const answered = new Promise<void>((resolve) => {
      socket.onPing = () => {
        setTimeout(() => heartbeat.touch(), 2)
        if (socket.pings === 4) resolve()
      }
    })
    const outcome = await Promise.race([answered.then(() => 'alive'), died.then(() => 'dead')])
    expect(outcome).toBe('alive')
  })

  it('sends no ping while the peer is paused', async () => {
    const socket = new FakeSocket()
    socket.isPaused = true
    const { heartbeat } = start(socket, 5, 5)
    await new Promise((resolve) => setTimeout(resolve, 40))
    expect(socket.pings).toBe(0)
    heartbeat.stop()
  })

  it('never pings with an interval of 0', async () => {
    const socket = new FakeSocket()
    start(socket, 0, 5)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(socket.pings).toBe(0)
  })
})

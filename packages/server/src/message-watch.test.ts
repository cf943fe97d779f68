import type { Duplex } from 'node:stream'
import { PassThrough } from 'node:stream'
import { describe, expect, it, onTestFinished } from 'vitest'
import { FrameTracker, MessageWatch } from './message-watch.js'

/** A masked client frame (RFC 6455 §5.2) with `length` payload bytes. */
function frame(opcode: number, length: number, fin = true): Buffer {
  const lengthBytes =
    length < 126
      ? Buffer.from([0x80 | length])
      : length < 65_536
        ? Buffer.from([0x80 | 126, length >> 8, length & 0xff])
        : Buffer.concat([Buffer.from([0x80 | 127]), bigLength(length)])
  const mask = Buffer.from([1, 2, 3, 4])
  return Buffer.concat([
    Buffer.from([(fin ? 0x80 : 0) | opcode]),
    lengthBytes,
    mask,
    Buffer.alloc(length, 0x61),
  ])
}

function bigLength(length: number): Buffer {
  const bytes = Buffer.alloc(8)
  bytes.writeBigUInt64BE(BigInt(length))
  return bytes
}

describe('FrameTracker', () => {
  it('sees nothing pending after whole frames of every size', () => {
    const tracker = new FrameTracker()
    tracker.push(Buffer.concat([frame(1, 0), frame(1, 125), frame(2, 126), frame(2, 70_000)]), 1)
    expect(tracker.pendingSince).toBeNull()
  })

  it('marks a frame pending from its first byte until its last', () => {
    const tracker = new FrameTracker()
    const bytes = frame(2, 1000)
    tracker.push(bytes.subarray(0, 1), 5)
    expect(tracker.pendingSince).toBe(5)
    tracker.push(bytes.subarray(1, 600), 6)
    expect(tracker.pendingSince).toBe(5)
    tracker.push(bytes.subarray(600), 7)
    expect(tracker.pendingSince).toBeNull()
  })

  it('keeps a fragmented message pending across control frames until its final fragment', () => {
    const tracker = new FrameTracker()
    tracker.push(frame(1, 10, false), 10)
    tracker.push(Buffer.concat([frame(0, 10, false), frame(9, 4), frame(0, 10, false)]), 20)
    expect(tracker.pendingSince).toBe(10)
    tracker.push(frame(0, 3, true), 30)
    expect(tracker.pendingSince).toBeNull()
  })

  it('clears a control frame between messages', () => {
    const tracker = new FrameTracker()
    tracker.push(frame(10, 5), 1)
    expect(tracker.pendingSince).toBeNull()
  })

  it('follows headers split byte by byte', () => {
    const tracker = new FrameTracker()
    const bytes = Buffer.concat([frame(1, 300), frame(1, 70_000, false), frame(0, 1)])
    for (const byte of bytes.subarray(0, bytes.length - 1)) tracker.push(Buffer.from([byte]), 1)
    expect(tracker.pendingSince).toBe(1)
    tracker.push(bytes.subarray(bytes.length - 1), 2)
    expect(tracker.pendingSince).toBeNull()
  })
})

/** A watch fed every chunk the socket reads, as the connection feeds it. */
function watch(socket: Duplex, timeoutMs: number, onTimeout: () => void): MessageWatch {
  const watcher = new MessageWatch(socket, timeoutMs, onTimeout)
  socket.on('data', (chunk: Buffer) => watcher.push(chunk, performance.now()))
  return watcher
}

describe('MessageWatch', () => {
  it('calls back once when a message stays unfinished for the timeout', async () => {
    const socket = new PassThrough()
    onTestFinished(() => {
      socket.destroy()
    })
    const startedAt = performance.now()
    const fired = new Promise<number>((resolve) => {
      watch(socket, 50, () => resolve(performance.now() - startedAt))
    })
    socket.write(frame(1, 10, false))
    socket.resume()
    const elapsed = await fired
    expect(elapsed).toBeGreaterThanOrEqual(45)
    expect(elapsed).toBeLessThan(1000)
  })

  it('does not count the time the server leaves the socket paused', async () => {
    const socket = new PassThrough()
    onTestFinished(() => {
      socket.destroy()
    })
    let firedAt: number | null = null
    const fired = new Promise<void>((resolve) => {
      watch(socket, 50, () => {
        firedAt = performance.now()
        resolve()
      })
    })
    socket.resume()
    socket.write(frame(1, 10, false))
    await new Promise((resolve) => setImmediate(resolve))
    socket.pause()
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(firedAt).toBeNull()
    const resumedAt = performance.now()
    socket.resume()
    await fired
    expect((firedAt ?? 0) - resumedAt).toBeLessThan(200)
  })

  it('stays quiet while messages complete, and once stopped', async () => {
    const socket = new PassThrough()
    let fired = 0
    const watcher = watch(socket, 20, () => fired++)
    socket.once('close', () => watcher.stop())
    socket.resume()
    const first = frame(1, 100)
    socket.write(first.subarray(0, 10))
    socket.write(first.subarray(10))
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect(fired).toBe(0)
    socket.write(frame(1, 10, false))
    const closed = new Promise((resolve) => socket.once('close', resolve))
    socket.destroy()
    await closed
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect(fired).toBe(0)
  })
})

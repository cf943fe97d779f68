// Hostile frames on an open WebSocket: invalid UTF-8 (1007), oversized frames and messages
// (1009), fragment floods (1008), messages never finished (1008 after
// websocketMessageTimeoutMs), and protocol violations (1002). The application is told the
// same code the client gets.
import { WebsocketConsumer, type WebsocketFrame } from '@node-channels/core'
import { path } from '@node-channels/router'
import { describe, expect, it } from 'vitest'
import {
  clientFrame,
  echoAnd,
  openRawWebSocket,
  type RawWebSocket,
  startServer,
  waitFor,
} from './harness.js'
import { underAttack } from './under-attack.js'

const MESSAGE_TIMEOUT_MS = 300
const MAX_MESSAGE = 1024 * 1024

/** The code each connection's application was told, by the connection's id. */
const disconnects = new Map<string, number>()
const disconnectWaiters = new Set<() => void>()
let connections = 0

/** Echoes, and records the code its application instance is told on disconnect. */
class RecordingEcho extends WebsocketConsumer {
  override receive({ textData, bytesData }: WebsocketFrame): Promise<void> {
    return this.send({ textData, bytesData })
  }

  override disconnect(code: number): void {
    disconnects.set(this.scope.url_route?.kwargs.id ?? '', code)
    for (const wake of disconnectWaiters) wake()
  }
}

/** Waits for the disconnect code the application of connection `id` is told. */
function disconnectOf(id: string): Promise<number> {
  return waitFor(() => disconnects.get(id), disconnectWaiters, 3000, `the disconnect of ${id}`)
}

/** Opens a raw WebSocket to a recording echo of its own. */
async function openRecorded(): Promise<{ id: string; raw: RawWebSocket }> {
  const id = `c${++connections}`
  return { id, raw: await openRawWebSocket(server.port, `/ws/recorded/${id}/`) }
}

const { server } = underAttack(() =>
  startServer(echoAnd(path('ws/recorded/:id/', RecordingEcho.asAsgi())), {
    websocketMessageTimeoutMs: MESSAGE_TIMEOUT_MS,
  }),
)

/** Opens a raw WebSocket, writes `bytes`, and returns the close code and the app's code. */
async function attack(bytes: Buffer | Buffer[]): Promise<{ client: number | null; app: number }> {
  const { id, raw } = await openRecorded()
  for (const chunk of Array.isArray(bytes) ? bytes : [bytes]) raw.socket.write(chunk)
  const close = await raw.closeFrame
  const app = await disconnectOf(id)
  await raw.ended
  return { client: close?.code ?? null, app }
}

const text = (payload: Buffer | string, fin = true) => clientFrame(0x1, payload, { fin })
const more = (payload: Buffer | string, fin = false) => clientFrame(0x0, payload, { fin })

describe('invalid UTF-8 in text frames', () => {
  it('closes with 1007 for bytes that are not UTF-8', async () => {
    expect(await attack(text(Buffer.from([0x68, 0x69, 0xff, 0xfe])))).toEqual({
      client: 1007,
      app: 1007,
    })
  })

  it('closes with 1007 for an overlong encoding and a lone surrogate', async () => {
    expect(await attack(text(Buffer.from([0xc0, 0xaf])))).toEqual({ client: 1007, app: 1007 })
    expect(await attack(text(Buffer.from([0xed, 0xa0, 0x80])))).toEqual({ client: 1007, app: 1007 })
  })

  it('closes with 1007 when a character is split across fragments and never completed', async () => {
    const euro = Buffer.from('€')
    expect(await attack([text(euro.subarray(0, 2), false), more(Buffer.from('x'), true)])).toEqual({
      client: 1007,
      app: 1007,
    })
  })

  it('echoes a character split across fragments when it is completed (the control case)', async () => {
    const { raw } = await openRecorded()
    const euro = Buffer.from('€')
    raw.socket.write(
      Buffer.concat([text(euro.subarray(0, 2), false), more(euro.subarray(2), true)]),
    )
    const echoed = await raw.nthText(1)
    expect(echoed).toBe('€')
  })
})

describe('oversized frames and messages', () => {
  it('closes with 1009 as soon as a frame announces more than websocketMaxMessageSize', async () => {
    expect(
      await attack(clientFrame(0x2, Buffer.alloc(0), { announcedLength: MAX_MESSAGE + 1 })),
    ).toEqual({
      client: 1009,
      app: 1009,
    })
  })

  it('closes with 1009 for a frame announcing 2^53 bytes', async () => {
    expect(await attack(clientFrame(0x2, Buffer.alloc(0), { announcedLength: 2 ** 53 }))).toEqual({
      client: 1009,
      app: 1009,
    })
  })

  it('closes with 1009 when many small fragments add up to more than the limit', async () => {
    const piece = Buffer.alloc(1000, 0x61)
    const frames = [text(piece, false)]
    for (let i = 0; i < MAX_MESSAGE / piece.length + 1; i++) frames.push(more(piece))
    expect(await attack(Buffer.concat(frames))).toEqual({ client: 1009, app: 1009 })
  })

  it('closes with 1008 for a flood of tiny fragments (more than 16384 parts)', async () => {
    const frames = [text('a', false)]
    for (let i = 0; i < 16_400; i++) frames.push(more('a'))
    expect(await attack(Buffer.concat(frames))).toEqual({ client: 1008, app: 1008 })
  })
})

describe('messages never finished', () => {
  const inTime = (startedAt: number) => {
    const elapsed = performance.now() - startedAt
    expect(elapsed).toBeGreaterThanOrEqual(MESSAGE_TIMEOUT_MS - 20)
    expect(elapsed).toBeLessThan(MESSAGE_TIMEOUT_MS + 1500)
  }

  it('closes with 1008 a fragmented message whose last fragment never comes', async () => {
    const startedAt = performance.now()
    expect(await attack([text('part 1', false), more('part 2'), more('part 3')])).toEqual({
      client: 1008,
      app: 1008,
    })
    inTime(startedAt)
    await server.logger.waitFor(/left a message unfinished for 300 ms; closing with 1008\.$/)
  })

  it('closes with 1008 a large frame that stops arriving halfway', async () => {
    const frame = clientFrame(0x2, Buffer.alloc(100 * 1024, 0x62))
    const startedAt = performance.now()
    expect(await attack(frame.subarray(0, 50 * 1024))).toEqual({ client: 1008, app: 1008 })
    inTime(startedAt)
  })

  it('is not fooled by pings sent while the message stays unfinished', async () => {
    const { id, raw } = await openRecorded()
    const startedAt = performance.now()
    raw.socket.write(text('never finished', false))
    let pings = 0
    const timer = setInterval(() => {
      if (pings++ < 40 && !raw.socket.destroyed) raw.socket.write(clientFrame(0x9, 'ping'))
    }, 25)
    try {
      expect((await raw.closeFrame)?.code).toBe(1008)
      expect(await disconnectOf(id)).toBe(1008)
    } finally {
      clearInterval(timer)
    }
    inTime(startedAt)
  })
})

describe('protocol violations', () => {
  it('closes with 1002 for an unmasked client frame', async () => {
    expect(await attack(clientFrame(0x1, 'hello', { masked: false }))).toEqual({
      client: 1002,
      app: 1002,
    })
  })

  it('closes with 1002 for a reserved opcode', async () => {
    expect(await attack(clientFrame(0x3, 'hello'))).toEqual({ client: 1002, app: 1002 })
  })

  it('closes with 1002 for a continuation frame with no message to continue', async () => {
    expect(await attack(more('orphan', true))).toEqual({ client: 1002, app: 1002 })
  })
})

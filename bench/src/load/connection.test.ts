import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import { openConnection } from './connection.js'
import { clientFrame } from './frames.js'

/** A raw TCP server that completes the handshake, then writes `bytes` in the given chunk sizes. */
function rawServer(bytes: Buffer, chunkSizes: number[]): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.once('data', () => {
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n',
      )
      let offset = 0
      const writeNext = (index: number): void => {
        if (offset >= bytes.length) return
        const size = chunkSizes[index % chunkSizes.length] ?? 1
        socket.write(bytes.subarray(offset, offset + size))
        offset += size
        setImmediate(() => writeNext(index + 1))
      }
      writeNext(0)
    })
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

function serverFrame(payload: Buffer, first = 0x81): Buffer {
  const length = payload.length
  const header =
    length < 126
      ? Buffer.from([first, length])
      : length < 0x10000
        ? Buffer.from([first, 126, length >> 8, length & 0xff])
        : Buffer.alloc(10)
  if (length >= 0x10000) {
    header[0] = first
    header[1] = 127
    header.writeUInt32BE(length, 6)
  }
  return Buffer.concat([header, payload])
}

const servers: Array<net.Server | WebSocketServer> = []
afterEach(async () => {
  await Promise.all(
    servers
      .splice(0)
      .map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
  )
})

describe('the generator connection', () => {
  it('parses frames of every length form, split at every boundary, and fragmented messages', async () => {
    const small = Buffer.from('hello')
    const medium = Buffer.alloc(300, 'm')
    const large = Buffer.alloc(70_000, 'l')
    const bytes = Buffer.concat([
      serverFrame(small),
      serverFrame(medium),
      serverFrame(large),
      serverFrame(Buffer.from('frag'), 0x01),
      serverFrame(Buffer.from('mented'), 0x80),
    ])
    const server = await rawServer(bytes, [1, 2, 3, 5, 7, 4096])
    servers.push(server)
    const address = server.address() as net.AddressInfo
    const connection = await openConnection(address.port, 'plain', 'echo', 2_000)
    const received: string[] = []
    await new Promise<void>((resolve) => {
      connection.onMessage = (buffer, start, end) => {
        const text = buffer.toString('latin1', start, end)
        received.push(text.length > 20 ? `${text[0]}x${text.length}` : text)
        if (received.length === 4) resolve()
      }
    })
    expect(received).toEqual(['hello', 'mx300', 'lx70000', 'fragmented'])
    connection.onEnd = () => {}
    await connection.close()
  })

  it('round-trips pre-built frames (zero mask) with a real ws server', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    servers.push(wss)
    wss.on('connection', (ws) =>
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })),
    )
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
    const address = wss.address() as net.AddressInfo
    const connection = await openConnection(address.port, 'plain', 'echo', 2_000)
    const frame = clientFrame('x'.repeat(16_384))
    const lengths: number[] = []
    await new Promise<void>((resolve) => {
      connection.onMessage = (_buffer, start, end) => {
        lengths.push(end - start)
        if (lengths.length === 3) resolve()
      }
      connection.write(Buffer.concat([frame, frame, frame]))
    })
    expect(lengths).toEqual([16_384, 16_384, 16_384])
    await connection.close()
    expect(connection.ended).toBe(true)
  })

  it('rejects a refused upgrade with the status line', async () => {
    const server = net.createServer((socket) =>
      socket.once('data', () => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n')),
    )
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
    const address = server.address() as net.AddressInfo
    await expect(openConnection(address.port, 'plain', 'echo', 2_000)).rejects.toThrow(
      'The server refused the upgrade for /echo/: "HTTP/1.1 403 Forbidden".',
    )
  })
})

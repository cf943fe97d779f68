import http from 'node:http'
import type { Duplex } from 'node:stream'
import * as wsModule from 'ws'
import { WebSocket, WebSocketServer } from 'ws'
import { announceReady, installHooks, programOptions } from './program-kit.js'

/**
 * The bar for group send: a `ws` server that frames each broadcast once (`Sender.frame`) and
 * writes that one buffer to every member's socket, corking each socket on its first write of
 * the event-loop turn and uncorking them all in `setImmediate`, so a burst leaves as one
 * `writev` per socket. Echo is the same as the plain `ws` server.
 */
type FrameOptions = {
  fin: boolean
  rsv1: boolean
  opcode: number
  mask: boolean
  readOnly: boolean
}
/** ws's own framing function (exported at runtime as `Sender`, absent from @types/ws). */
const { Sender } = wsModule as unknown as {
  Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] }
}

const options = programOptions()
const server = http.createServer((_request, response) => {
  response.writeHead(404).end()
})
const wss = new WebSocketServer({ noServer: true })
const group = new Map<WebSocket, Duplex>()
const corked: Duplex[] = []
let flushScheduled = false

function flush(): void {
  flushScheduled = false
  for (const socket of corked) socket.uncork()
  corked.length = 0
}

function writeCorked(socket: Duplex, frame: Buffer): void {
  if (socket.writableCorked === 0) {
    socket.cork()
    corked.push(socket)
    if (!flushScheduled) {
      flushScheduled = true
      setImmediate(flush)
    }
  }
  socket.write(frame)
}

server.on('upgrade', (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, (ws) => {
    if (request.url?.startsWith('/broadcast/')) {
      group.set(ws, socket)
      ws.on('close', () => group.delete(ws))
      ws.on('message', (data, isBinary) => {
        const payload = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer)
        const parts = Sender.frame(payload, {
          fin: true,
          rsv1: false,
          opcode: isBinary ? 2 : 1,
          mask: false,
          readOnly: true,
        })
        const frame = Buffer.concat(parts)
        for (const [member, memberSocket] of group) {
          if (member.readyState === WebSocket.OPEN) writeCorked(memberSocket, frame)
        }
      })
    } else {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
    }
  })
})

installHooks(async () => {
  for (const ws of group.keys()) ws.terminate()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})
server.listen(options.port, '127.0.0.1', () => announceReady(server.address()))

import http from 'node:http'
import { type WebSocket, WebSocketServer } from 'ws'
import { announceReady, installHooks, programOptions } from './program-kit.js'

/**
 * The Node limit: a bare `ws` server doing the benchmark's work. `/echo/` sends every message
 * back; `/broadcast/` joins a set and every message is sent to every member with `ws.send`.
 */
const options = programOptions()
const server = http.createServer((_request, response) => {
  response.writeHead(404).end()
})
const wss = new WebSocketServer({ server })
const group = new Set<WebSocket>()

wss.on('connection', (ws, request) => {
  if (request.url?.startsWith('/broadcast/')) {
    group.add(ws)
    ws.on('close', () => group.delete(ws))
    ws.on('message', (data, isBinary) => {
      for (const member of group) member.send(data, { binary: isBinary })
    })
  } else {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
  }
})

installHooks(async () => {
  for (const client of wss.clients) client.terminate()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})
server.listen(options.port, '127.0.0.1', () => announceReady(server.address()))

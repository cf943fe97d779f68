import http from 'node:http'
import { WebSocketServer } from 'ws'
import { CorkedGroup } from '../corked-group.js'
import { announceReady, installHooks, programOptions } from './program-kit.js'

/**
 * The bar for group send: `/broadcast/` frames each message once and writes it to every
 * member corked until the end of the turn (see CorkedGroup). Echo is the same as the plain
 * `ws` server.
 */
const options = programOptions()
const server = http.createServer((_request, response) => {
  response.writeHead(404).end()
})
const wss = new WebSocketServer({ noServer: true })
const group = new CorkedGroup()

server.on('upgrade', (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, (ws) => {
    if (request.url?.startsWith('/broadcast/')) {
      group.add(ws, socket)
      ws.on('close', () => group.delete(ws))
      ws.on('message', (data, isBinary) => {
        const payload = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer)
        group.broadcast(payload, isBinary)
      })
    } else {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
    }
  })
})

installHooks(async () => {
  for (const ws of group.members()) ws.terminate()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})
server.listen(options.port, '127.0.0.1', () => announceReady(server.address()))

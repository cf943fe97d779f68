import http from 'node:http'
import { createAdapter } from '@socket.io/redis-adapter'
import { Redis } from 'ioredis'
import { Server } from 'socket.io'
import { announceReady, installHooks, programOptions } from './program-kit.js'

/**
 * socket.io 4 doing the benchmark's work: `bench=echo` sockets emit every `m` event back;
 * `bench=broadcast` sockets join room `g` and every `b` event is emitted to the room. With
 * `--redis-url`, rooms span processes through @socket.io/redis-adapter.
 */
const options = programOptions()
const server = http.createServer()
const io = new Server(server, { serveClient: false })
const clients: Redis[] = []

if (options.redisUrl !== null) {
  const pub = new Redis(options.redisUrl)
  const sub = pub.duplicate()
  clients.push(pub, sub)
  io.adapter(createAdapter(pub, sub, { key: `${options.redisPrefix}#socket.io` }))
}

io.on('connection', (socket) => {
  if (socket.handshake.query.bench === 'broadcast') {
    socket.join('g')
    socket.on('b', (data: unknown) => {
      io.to('g').emit('m', data)
    })
  } else {
    socket.on('m', (data: unknown) => {
      socket.emit('m', data)
    })
  }
})

installHooks(async () => {
  await io.close()
  for (const client of clients) client.disconnect()
})
server.listen(options.port, '127.0.0.1', () => announceReady(server.address()))

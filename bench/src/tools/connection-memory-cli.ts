import { parseArgs } from 'node:util'
import { listOption, positiveOption } from './cli-options.js'
import { type ConnectionMemoryServer, measureConnectionMemory } from './connection-memory.js'

/**
 * Prints what each server keeps per idle WebSocket connection (V8 heap) and allocates per
 * handshake, measured one after the other in this process (their clients in another):
 *   node bench/dist/tools/connection-memory-cli.js [--connections 2000]
 *     [--servers node-channels,raw-ws] [--origin]
 * `--origin` has the clients send an `Origin` header, as browsers do (the benchmark's
 * clients send none).
 */
const SERVERS: readonly ConnectionMemoryServer[] = ['node-channels', 'raw-ws']

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '2000' },
    servers: { type: 'string', default: SERVERS.join(',') },
    origin: { type: 'boolean', default: false },
  },
})
const connections = positiveOption('connections', values.connections)
const servers = listOption('servers', values.servers, SERVERS)
for (const server of servers) {
  const result = await measureConnectionMemory({ server, connections, origin: values.origin })
  console.log(
    `${server.padEnd(13)} ${connections} connections${values.origin ? ' with Origin' : ''}: ` +
      `heap ${(result.heapBytes / 1024).toFixed(2)} KiB per idle connection, ` +
      `${(result.allocatedBytes / 1024).toFixed(2)} KiB allocated per handshake`,
  )
}
process.exit(0)

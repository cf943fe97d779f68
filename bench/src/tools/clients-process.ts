import { WebSocket } from 'ws'

/**
 * The clients of the tools (group-send-path, connection-memory), in a process of their own so
 * that their work never lands in the measured server's CPU time or heap:
 *   node clients-process.js <port> <clients> <per-round> [path] [origin]
 * Opens the clients to ws://127.0.0.1:<port><path> (path `/group/` by default; each with an
 * `Origin` header when `origin` is given, as a browser sends), prints `OPEN` once every client
 * is open, then `ROUND` each time the clients together have received another `per-round`
 * messages. Exits when its stdin closes.
 */
const [portText, clientsText, perRoundText, path = '/group/', origin] = process.argv.slice(2)
const [port, clients, perRound] = [portText, clientsText, perRoundText].map(Number)
if (
  port === undefined ||
  clients === undefined ||
  perRound === undefined ||
  ![port, clients, perRound].every((value) => Number.isInteger(value) && value > 0) ||
  !path.startsWith('/')
) {
  console.error('Usage: clients-process <port> <clients> <per-round> [path] [origin]')
  process.exit(2)
}
const headers = origin === undefined ? undefined : { Origin: origin }
let received = 0
const opened: Promise<void>[] = []
for (let i = 0; i < clients; i++) {
  const client = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers })
  client.on('message', () => {
    received += 1
    if (received % perRound === 0) process.stdout.write('ROUND\n')
  })
  opened.push(
    new Promise((resolve, reject) => {
      client.once('open', () => resolve())
      client.once('error', reject)
    }),
  )
}
await Promise.all(opened)
process.stdout.write('OPEN\n')
process.stdin.resume()
process.stdin.once('end', () => process.exit(0))

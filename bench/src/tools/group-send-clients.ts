import { WebSocket } from 'ws'

/**
 * The members' clients of `group-send-path`, in a process of their own so that their reading
 * never lands in the server's measured CPU time:
 *   node group-send-clients.js <port> <clients> <per-round>
 * Prints `OPEN` once every client is open, then `ROUND` each time the clients together have
 * received another `per-round` messages. Exits when its stdin closes.
 */
const [port, clients, perRound] = process.argv.slice(2).map(Number)
if (
  port === undefined ||
  clients === undefined ||
  perRound === undefined ||
  ![port, clients, perRound].every((value) => Number.isInteger(value) && value > 0)
) {
  console.error('Usage: group-send-clients <port> <clients> <per-round>')
  process.exit(2)
}
let received = 0
const opened: Promise<void>[] = []
for (let i = 0; i < clients; i++) {
  const client = new WebSocket(`ws://127.0.0.1:${port}/group/`)
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

import { parseArgs } from 'node:util'
import { positiveOption } from './cli-options.js'
import { measureRedisGroupSend } from './redis-group-send.js'

/**
 * Prints what one RedisChannelLayer group send costs the sending process (a private
 * redis-server is started for it):
 *   node bench/dist/tools/redis-group-send-cli.js [--members 1000] [--sends 300]
 * Pin it to one CPU (`taskset -c 1`) and compare several runs.
 */
const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '1000' },
    sends: { type: 'string', default: '300' },
  },
})
const members = positiveOption('members', values.members)
const sends = positiveOption('sends', values.sends)
const result = await measureRedisGroupSend({ members, sends })
console.log(
  `group send to ${members} members, ${sends} sends: ${result.userUs.toFixed(0)} µs user + ` +
    `${result.systemUs.toFixed(0)} µs system, ${result.wallUs.toFixed(0)} µs wall each`,
)

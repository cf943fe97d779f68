import { parseArgs } from 'node:util'
import { type ConsumerPathForm, measureConsumerPath } from './consumer-path.js'

/**
 * Prints what a burst of group sends costs per delivery in the consumers and the in-memory
 * layer alone (no server, no sockets), for each form:
 *   node bench/dist/tools/consumer-path-cli.js [--members 1000] [--rounds 300] [--burst 10]
 *     [--forms handler,sync-handler,relays]
 * Pin it to one CPU (`taskset -c 1`) and compare medians of several runs.
 */
const FORMS: readonly ConsumerPathForm[] = ['handler', 'sync-handler', 'relays']

function positive(name: string, value: string): number {
  const number = Number(value)
  if (!Number.isInteger(number) || number < 1) {
    throw new RangeError(`--${name} must be a positive integer, got ${JSON.stringify(value)}.`)
  }
  return number
}

const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '300' },
    burst: { type: 'string', default: '10' },
    forms: { type: 'string', default: FORMS.join(',') },
  },
})
const members = positive('members', values.members)
const rounds = positive('rounds', values.rounds)
const burst = positive('burst', values.burst)
const forms = values.forms.split(',').map((form) => {
  if (!(FORMS as readonly string[]).includes(form)) {
    throw new RangeError(`--forms takes ${FORMS.join(', ')}, got ${JSON.stringify(form)}.`)
  }
  return form as ConsumerPathForm
})
for (const form of forms) {
  const result = await measureConsumerPath({ form, members, rounds, burst })
  console.log(
    `${form.padEnd(12)} ${members} members, bursts of ${burst}, ${rounds} rounds: ` +
      `${result.userNs.toFixed(0)} ns user + ${result.systemNs.toFixed(0)} ns system per delivery`,
  )
}

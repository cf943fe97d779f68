import { parseArgs } from 'node:util'
import { type GroupSendForm, measureGroupSendPath } from './group-send-path.js'

/**
 * Prints what a burst of group sends costs per delivery, in one process, for each form:
 *   node bench/dist/tools/group-send-path-cli.js [--members 1000] [--rounds 40] [--burst 10]
 *     [--forms relays,cork,handler]
 * Pin it to one CPU (`taskset -c 1`) and run it a few times: the figures move with where the
 * objects land in memory, from one process to the next.
 */
const FORMS: readonly GroupSendForm[] = ['relays', 'cork', 'handler']

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
    rounds: { type: 'string', default: '40' },
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
  return form as GroupSendForm
})
for (const form of forms) {
  const result = await measureGroupSendPath({ form, members, rounds, burst })
  console.log(
    `${form.padEnd(7)} ${members} members, bursts of ${burst}, ${rounds} rounds: ` +
      `sends ${result.sendMedianNs.toFixed(0)} ns per delivery (median; min ${result.sendMinNs.toFixed(0)}), ` +
      `rest of the turn ${result.restUserNs.toFixed(0)} ns user + ${result.restSystemNs.toFixed(0)} ns system`,
  )
}
process.exit(0)

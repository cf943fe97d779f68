import { burstToolOptions } from './cli-options.js'
import { type GroupSendForm, measureGroupSendPath } from './group-send-path.js'

/**
 * Prints what a burst of group sends costs per delivery, in one process, for each form:
 *   node bench/dist/tools/group-send-path-cli.js [--members 1000] [--rounds 40] [--burst 10]
 *     [--forms relays,cork,handler]
 * Pin it to one CPU (`taskset -c 1`) and run it a few times: the figures move with where the
 * objects land in memory, from one process to the next.
 */
const FORMS: readonly GroupSendForm[] = ['relays', 'cork', 'handler']

const { members, rounds, burst, forms } = burstToolOptions(FORMS, 40)
for (const form of forms) {
  const result = await measureGroupSendPath({ form, members, rounds, burst })
  console.log(
    `${form.padEnd(7)} ${members} members, bursts of ${burst}, ${rounds} rounds: ` +
      `sends ${result.sendMedianNs.toFixed(0)} ns per delivery (median; min ${result.sendMinNs.toFixed(0)}), ` +
      `rest of the turn ${result.restUserNs.toFixed(0)} ns user + ${result.restSystemNs.toFixed(0)} ns system`,
  )
}
process.exit(0)

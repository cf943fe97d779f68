import { burstToolOptions } from './cli-options.js'
import { type ConsumerPathForm, measureConsumerPath } from './consumer-path.js'

/**
 * Prints what a burst of group sends costs per delivery in the consumers and the in-memory
 * layer alone (no server, no sockets), for each form:
 *   node bench/dist/tools/consumer-path-cli.js [--members 1000] [--rounds 300] [--burst 10]
 *     [--forms handler,sync-handler,relays]
 * Pin it to one CPU (`taskset -c 1`) and compare medians of several runs.
 */
const FORMS: readonly ConsumerPathForm[] = ['handler', 'sync-handler', 'relays']

const { members, rounds, burst, forms } = burstToolOptions(FORMS, 300)
for (const form of forms) {
  const result = await measureConsumerPath({ form, members, rounds, burst })
  console.log(
    `${form.padEnd(12)} ${members} members, bursts of ${burst}, ${rounds} rounds: ` +
      `${result.userNs.toFixed(0)} ns user + ${result.systemNs.toFixed(0)} ns system per delivery`,
  )
}

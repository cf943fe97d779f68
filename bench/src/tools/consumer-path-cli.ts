import { burstToolOptions } from './cli-options.js'
import {
  type ConsumerPathForm,
  type ConsumerPathLayer,
  measureConsumerPath,
} from './consumer-path.js'

/**
 * Prints what a burst of group sends costs per delivery in the consumers and the layer alone
 * (no server, no sockets), for each form and layer:
 *   node bench/dist/tools/consumer-path-cli.js [--members 1000] [--rounds 300] [--burst 10]
 *     [--forms handler,sync-handler,relays] [--layers memory,redis]
 * `redis` starts a private redis-server. Pin it to one CPU (`taskset -c 1`) and compare
 * medians of several runs.
 */
const FORMS: readonly ConsumerPathForm[] = ['handler', 'sync-handler', 'relays']
const LAYERS: readonly ConsumerPathLayer[] = ['memory', 'redis']

const { members, rounds, burst, forms, layers } = burstToolOptions(FORMS, 300, LAYERS)
for (const layer of layers) {
  for (const form of forms) {
    const result = await measureConsumerPath({ form, layer, members, rounds, burst })
    console.log(
      `${layer.padEnd(6)} ${form.padEnd(12)} ${members} members, bursts of ${burst}, ${rounds} rounds: ` +
        `${result.userNs.toFixed(0)} ns user + ${result.systemNs.toFixed(0)} ns system per delivery, ` +
        `${result.roundUs.toFixed(0)} µs per round` +
        (result.redisNs === null
          ? ''
          : `; redis-server ${result.redisNs.toFixed(0)} ns per delivery`),
    )
  }
}

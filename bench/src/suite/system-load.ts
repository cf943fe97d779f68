import { readFileSync } from 'node:fs'

/**
 * Milliseconds of CPU time that processes used, summed over all cores (user, nice, system and
 * steal from /proc/stat), for "other load" accounting. Interrupt and softirq time is left out:
 * the kernel spends it on our own loopback traffic without charging it to any process.
 */
export function systemBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? ''
  const [, user, nice, system, , , , , steal] = line.trim().split(/\s+/).map(Number)
  return (((user ?? 0) + (nice ?? 0) + (system ?? 0) + (steal ?? 0)) * 1000) / 100
}

import { describe, expect, it } from 'vitest'
import { redisAvailable } from '../process/redis-instance.js'
import { runsInCi } from '../suite/config.js'
import {
  type ConsumerPathForm,
  type ConsumerPathLayer,
  measureConsumerPath,
} from './consumer-path.js'

const inCi = runsInCi()
const FORMS: ConsumerPathForm[] = ['handler', 'sync-handler', 'relays']
const LAYERS: ConsumerPathLayer[] = ['memory', 'redis']

describe('measureConsumerPath', () => {
  for (const layer of LAYERS) {
    const skip = layer === 'redis' && !inCi && !redisAvailable()
    it.skipIf(skip).each(FORMS)(
      `measures every delivery of a few small rounds (${layer}, %s)`,
      async (form) => {
        // Each round fails unless every member sent every message of the round.
        const result = await measureConsumerPath({ form, layer, members: 20, rounds: 3, burst: 4 })
        // The kernel splits a process's CPU time into user and system in proportion to
        // ticks: rounds this short may read as all one or the other, never as none.
        expect(Number.isFinite(result.userNs)).toBe(true)
        expect(result.userNs).toBeGreaterThanOrEqual(0)
        expect(result.systemNs).toBeGreaterThanOrEqual(0)
        expect(result.userNs + result.systemNs).toBeGreaterThan(0)
        expect(result.roundUs).toBeGreaterThan(0)
        if (layer === 'memory') expect(result.redisNs).toBeNull()
        // Redis ran the group sends and the pops: some of its CPU time falls in the rounds.
        else expect(result.redisNs).toBeGreaterThan(0)
      },
      30_000,
    )
  }
})

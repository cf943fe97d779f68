import type { ScenarioResult } from '../suite/results.js'

/** One target of issue 8, checked against the figures of the same run. */
export type TargetCheck = {
  target: string
  scenario: string
  ours: string
  reference: string
  oursValue: number | null
  referenceValue: number | null
  ratio: number | null
  /** The ratio the issue asks for, and whether ours must be at least (`>=`) or at most (`<=`) it. */
  required: number
  comparison: '>=' | '<='
  /** true met, false missed, null not measured (a side failed or was skipped). */
  met: boolean | null
}

function value(
  results: ScenarioResult[],
  server: string,
  scenario: string,
  field: 'rate' | 'memory',
): number | null {
  const row = results.find((result) => result.server === server && result.scenario === scenario)
  if (row === undefined || row.status !== 'ok') return null
  return field === 'rate' ? row.rate : row.memoryPerConnectionKiB
}

function check(
  results: ScenarioResult[],
  target: string,
  scenario: string,
  ours: string,
  reference: string,
  required: number,
  comparison: '>=' | '<=' = '>=',
  field: 'rate' | 'memory' = 'rate',
): TargetCheck {
  const oursValue = value(results, ours, scenario, field)
  const referenceValue = value(results, reference, scenario, field)
  const ratio =
    oursValue !== null && referenceValue !== null && referenceValue > 0
      ? oursValue / referenceValue
      : null
  const met = ratio === null ? null : comparison === '>=' ? ratio >= required : ratio <= required
  return {
    target,
    scenario,
    ours,
    reference,
    oursValue,
    referenceValue,
    ratio,
    required,
    comparison,
    met,
  }
}

/** node-channels' servers on Redis: both layers, with the tutorial's handler and with relays. */
const REDIS_SERVERS = [
  'node-channels-redis',
  'node-channels-redis-relays',
  'node-channels-redis-pubsub',
  'node-channels-redis-pubsub-relays',
]

/** Every ratio target of issue 8 that this run's scenarios can answer. */
export function checkTargets(results: ScenarioResult[]): TargetCheck[] {
  const scenarios = [...new Set(results.map((result) => result.scenario))]
  const checks: TargetCheck[] = []
  for (const scenario of scenarios.filter((id) => id.startsWith('echo-'))) {
    checks.push(check(results, 'echo >= 90% of raw ws', scenario, 'node-channels', 'raw-ws', 0.9))
    checks.push(
      check(results, 'echo >= 5x Channels on Daphne', scenario, 'node-channels', 'daphne', 5),
    )
  }
  // Each broadcast target is checked for the tutorial's handler and for its relay form.
  for (const ours of ['node-channels', 'node-channels-relays']) {
    if (scenarios.includes('broadcast-paced')) {
      checks.push(
        check(
          results,
          'in-memory broadcast, paced, >= 90% of raw ws',
          'broadcast-paced',
          ours,
          'raw-ws',
          0.9,
        ),
      )
    }
    if (scenarios.includes('broadcast-burst')) {
      checks.push(
        check(
          results,
          'in-memory broadcast, burst, >= frame-once + cork ws',
          'broadcast-burst',
          ours,
          'raw-ws-cork',
          1,
        ),
      )
    }
  }
  for (const scenario of ['broadcast-paced', 'broadcast-burst'].filter((id) =>
    scenarios.includes(id),
  )) {
    for (const layer of REDIS_SERVERS) {
      checks.push(
        check(
          results,
          'Redis cross-process broadcast >= socket.io redis-adapter',
          scenario,
          layer,
          'socket.io-redis',
          1,
        ),
      )
      checks.push(
        check(
          results,
          'Redis cross-process broadcast >= 10x channels_redis',
          scenario,
          layer,
          'daphne-redis',
          10,
        ),
      )
    }
  }
  if (scenarios.includes('connect-idle')) {
    checks.push(
      check(
        results,
        'memory per idle connection <= 1.3x raw ws',
        'connect-idle',
        'node-channels',
        'raw-ws',
        1.3,
        '<=',
        'memory',
      ),
    )
    checks.push(
      check(
        results,
        'connection setup >= 80% of raw ws',
        'connect-idle',
        'node-channels',
        'raw-ws',
        0.8,
      ),
    )
  }
  return checks
}

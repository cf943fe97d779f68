import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { type GroupSendForm, measureGroupSendPath } from './group-send-path.js'

// The clients run as a script of their own: the built one (the test command builds first).
const CLIENTS = fileURLToPath(new URL('../../dist/tools/clients-process.js', import.meta.url))

describe('measureGroupSendPath', () => {
  it.each<GroupSendForm>(['relays', 'handler', 'cork'])(
    'measures every delivery of a few small rounds (%s)',
    async (form) => {
      const result = await measureGroupSendPath({
        form,
        members: 20,
        rounds: 3,
        burst: 4,
        roundTimeoutMs: 5_000,
        clientsScript: CLIENTS,
      })
      // Each round waited for all 80 deliveries (it throws otherwise); the figures are per delivery.
      for (const value of Object.values(result)) {
        expect(Number.isFinite(value)).toBe(true)
        expect(value).toBeGreaterThanOrEqual(0)
      }
      expect(result.sendMinNs).toBeLessThanOrEqual(result.sendMedianNs)
      expect(result.sendMinNs).toBeGreaterThan(0)
    },
    30_000,
  )
})

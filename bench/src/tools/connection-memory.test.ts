import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { type ConnectionMemoryServer, measureConnectionMemory } from './connection-memory.js'

// The clients run as a script of their own: the built one (the test command builds first).
const CLIENTS = fileURLToPath(new URL('../../dist/tools/clients-process.js', import.meta.url))

describe('measureConnectionMemory', () => {
  it.each<[ConnectionMemoryServer, boolean]>([
    ['node-channels', true],
    ['raw-ws', false],
  ])(
    'measures the heap kept and the bytes allocated per connection (%s, Origin: %s)',
    async (server, origin) => {
      const result = await measureConnectionMemory({
        server,
        connections: 100,
        origin,
        clientsScript: CLIENTS,
      })
      // Every connection holds a socket and a WebSocket, and its handshake parsed a request:
      // at least a few hundred bytes each, far less than a megabyte.
      for (const bytes of [result.heapBytes, result.allocatedBytes]) {
        expect(Number.isFinite(bytes)).toBe(true)
        expect(bytes).toBeGreaterThan(256)
        expect(bytes).toBeLessThan(1024 * 1024)
      }
      expect(result.allocatedBytes).toBeGreaterThan(result.heapBytes)
    },
    60_000,
  )
})

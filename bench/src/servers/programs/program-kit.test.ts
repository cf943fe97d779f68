import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { YOUNG_GENERATION_FLAGS } from '../catalog.js'

/** The built module: the child below is a plain Node process, which cannot load TypeScript. */
const KIT = fileURLToPath(new URL('../../../dist/servers/programs/program-kit.js', import.meta.url))

describe('fillYoungGeneration', () => {
  it('leaves the young generation resident: later short-lived garbage adds no resident memory', () => {
    // With the launcher's flags: fill, then allocate about three young generations of garbage of
    // another shape and see how much resident memory that added.
    const program = `
      import { fillYoungGeneration, youngGenerationBytes } from ${JSON.stringify(KIT)}
      fillYoungGeneration()
      const before = process.memoryUsage().rss
      const ring = new Array(512)
      for (let i = 0; i < youngGenerationBytes() / 25; i++) ring[i & 511] = [i, i, i]
      console.log(JSON.stringify({ young: youngGenerationBytes(), added: process.memoryUsage().rss - before }))
    `
    const run = spawnSync(
      process.execPath,
      [...YOUNG_GENERATION_FLAGS, '--input-type=module', '-e', program],
      { encoding: 'utf8' },
    )
    expect(run.status, run.stderr).toBe(0)
    const { young, added } = JSON.parse(run.stdout) as { young: number; added: number }
    expect(young).toBeGreaterThanOrEqual(16 * 1024 * 1024)
    // Unfilled, the garbage makes both semi-spaces resident: about twice `young`.
    expect(added).toBeLessThan(young / 8)
  })
})

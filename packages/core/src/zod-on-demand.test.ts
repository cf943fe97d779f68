import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

// zod takes about 3 MB of heap once loaded: core imports only its types at load time, and
// the module itself where it is needed (a JSON consumer's schema failed).
const SOURCE = join(import.meta.dirname)

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') && !entry.name.includes('.test') ? [path] : []
  })
}

describe('zod in core', () => {
  it('is imported for its types only when a module loads', () => {
    const files = sourceFiles(SOURCE)
    expect(files.length).toBeGreaterThan(10)
    const valueImports = files.filter((file) => loadsZod(readFileSync(file, 'utf8')))
    expect(valueImports).toEqual([])
  })

  it('is seen however the import is written', () => {
    expect(loadsZod("import { z } from 'zod'")).toBe(true)
    expect(loadsZod('import {\n  z,\n  type ZodType,\n} from "zod/v4"')).toBe(true)
    expect(loadsZod("export { z } from 'zod'")).toBe(true)
    expect(loadsZod("import 'zod'")).toBe(true)
    expect(loadsZod("import type { z } from 'zod'\nimport { x } from './x.js'")).toBe(false)
    expect(loadsZod("const { prettifyError } = await import('zod')")).toBe(false)
  })
})

/** Whether `source` has a static import or re-export of zod (or a subpath) that is not types only. */
function loadsZod(source: string): boolean {
  // A statement's clause holds no quote, so the first quoted specifier ends it.
  const statements = source.matchAll(/^(?:import|export)\s[^'"]*?['"]zod(?:\/[^'"]*)?['"]/gm)
  return [...statements].some(([statement]) => !/^(?:import|export)\s+type\s/.test(statement))
}

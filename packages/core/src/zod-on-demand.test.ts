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
    const valueImports = files.filter((file) =>
      /^import (?!type )[^\n]*from 'zod'/m.test(readFileSync(file, 'utf8')),
    )
    expect(valueImports).toEqual([])
  })
})

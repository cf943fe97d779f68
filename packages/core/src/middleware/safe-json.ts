/**
 * Parses JSON so that no key can reach a prototype: every object, at every depth, is
 * created with a null prototype, so `__proto__`, `constructor` and `prototype` are plain
 * data keys. Throws what `JSON.parse` throws.
 */
export function parseJsonSafely(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value
    const copy: Record<string, unknown> = Object.create(null)
    for (const key of Object.keys(value)) {
      // Plain assignment is safe: a null-prototype object has no `__proto__` setter.
      copy[key] = (value as Record<string, unknown>)[key]
    }
    return copy
  })
}

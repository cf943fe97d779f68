import { defineConfig } from 'vitest/config'

// The benchmark's own tests: `pnpm exec vitest run --config bench/vitest.config.ts` from the root.
export default defineConfig({
  test: {
    root: new URL('.', import.meta.url).pathname,
    include: ['src/**/*.test.ts'],
    testTimeout: 150_000,
    hookTimeout: 150_000,
  },
})

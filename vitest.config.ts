import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const source = (file: string) => fileURLToPath(new URL(`./packages/${file}`, import.meta.url))
const support = (file: string) =>
  fileURLToPath(new URL(`./test-support/src/${file}`, import.meta.url))

// Tests import the packages' TypeScript sources directly, so `vitest run` needs no build.
export default defineConfig({
  resolve: {
    alias: [
      {
        find: /^@node-channels\/testing\/layer-contract$/,
        replacement: source('testing/src/layer-contract.ts'),
      },
      { find: /^@node-channels\/test-support$/, replacement: support('needed.ts') },
      ...['chromium', 'event-stream', 'inbox', 'redis'].map((name) => ({
        find: new RegExp(`^@node-channels/test-support/${name}$`),
        replacement: support(`${name}.ts`),
      })),
      ...['core', 'router', 'testing', 'server', 'redis'].map((name) => ({
        find: new RegExp(`^@node-channels/${name}$`),
        replacement: source(`${name}/src/index.ts`),
      })),
    ],
  },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'tests/src/**/*.test.ts',
      'test-support/src/**/*.test.ts',
      'examples/*/src/**/*.test.ts',
      'bench/src/**/*.test.ts',
    ],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // CI sets VITEST_RESULTS to a path, to count passed and failed tests from the JSON report.
    reporters: process.env.VITEST_RESULTS
      ? ['default', ['json', { outputFile: process.env.VITEST_RESULTS }]]
      : ['default'],
  },
})

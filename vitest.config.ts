import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The example packages import the package by name (`scanq`), as a user's code does.
  resolve: {
    alias: [{ find: /^scanq$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) }],
  },
  test: {
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: '.reports/vitest.json' },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
          setupFiles: ['test/helpers/leak-guard.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/helpers/global-setup.ts'],
          setupFiles: ['test/helpers/leak-guard.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Two cores: integration files share one emulator; keep its load bounded.
          maxWorkers: 2,
        },
      },
    ],
  },
});

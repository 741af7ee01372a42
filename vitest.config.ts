import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // System tests start real processes on fixed port ranges: run files one at a time
    // so two clusters never compete for the same ports or the machine's 2 cores.
    fileParallelism: false,
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The outage and cluster files start their own redis-server processes and time calls
    // against a bound; running files one at a time keeps those timings honest on 2 cores.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 90_000,
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each case waits for a real server; the default 5 s is too tight on a loaded machine.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});

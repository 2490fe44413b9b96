import { defineConfig } from 'vitest/config';

// Files named *.tz.test.ts run a second time zone setup: Node in Asia/Kolkata (UTC+05:30,
// no daylight saving) while the tests set the server session to America/Los_Angeles.
export default defineConfig({
  test: {
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'postgres',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.tz.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'postgres-time-zones',
          include: ['test/**/*.tz.test.ts'],
          env: { TZ: 'Asia/Kolkata' },
        },
      },
    ],
  },
});

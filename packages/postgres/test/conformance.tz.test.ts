import { describeConformance } from '@sessionstore/conformance/vitest';
import { createPostgresHarness } from '../conformance.harness.js';

// Runs in the postgres-time-zones project: Node in Asia/Kolkata (see vitest.config.ts), and
// every connection of the harness's pool in America/Los_Angeles.
describeConformance(
  createPostgresHarness({
    name: 'postgres (Node in Asia/Kolkata, server in America/Los_Angeles)',
    serverTimeZone: 'America/Los_Angeles',
  }),
);

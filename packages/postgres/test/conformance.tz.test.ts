import { describeConformance } from '@sessionstore/conformance/vitest';
import { describe, expect, it } from 'vitest';
import { createPostgresHarness } from '../conformance.harness.js';

// Runs in the postgres-time-zones project: Node in Asia/Kolkata (see vitest.config.ts), and
// every connection of the harness's pool in America/Los_Angeles.
const harness = createPostgresHarness({
  name: 'postgres (Node in Asia/Kolkata, server in America/Los_Angeles)',
  serverTimeZone: 'America/Los_Angeles',
});

describe('the time zones of this conformance run', () => {
  it('Node runs in Asia/Kolkata and the harness pool in America/Los_Angeles', async () => {
    const kolkataOffsetMinutes = -330;

    expect(process.env.TZ).toBe('Asia/Kolkata');
    expect(new Date(Date.UTC(2024, 6, 1)).getTimezoneOffset()).toBe(kolkataOffsetMinutes);
    expect(await harness.showServerTimeZone()).toBe('America/Los_Angeles');
  });
});

describeConformance(harness);

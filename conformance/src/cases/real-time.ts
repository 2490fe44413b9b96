import { fail } from '../assert.js';
import {
  expectListed,
  expectNoSession,
  expectSession,
  makeSession,
  sleep,
  waitFor,
} from '../fixtures.js';
import type { ConformanceCase } from '../types.js';
import { DEFAULT_REAL_TIME_CLEANUP_MS } from './cleanup.js';

const category = 'real-time';

/** The sweep interval the real-time case asks for, in ms; backends with key expiry ignore it. */
const SWEEP_INTERVAL_MS = 250;

export const realTimeCases: ConformanceCase[] = [
  {
    id: 'real-time.expiry.ttl-one-second',
    category,
    title:
      'on the real clock, a session with ttl 1 is gone once the second passes, and the backend frees it',
    needs: ['capabilities.realTimeExpiry'],
    extraTimeMs: (harness) =>
      1_500 + (harness.capabilities?.realTimeCleanupMs ?? DEFAULT_REAL_TIME_CLEANUP_MS),
    async run(context) {
      const store = await context.open({ clock: Date.now, pruneIntervalMs: SWEEP_INTERVAL_MS });
      const session = makeSession('s1', 'u1');
      const cleanupMs =
        context.harness.capabilities?.realTimeCleanupMs ?? DEFAULT_REAL_TIME_CLEANUP_MS;

      const startedMs = Date.now();
      await store.upsert(session, 1);
      const writtenMs = Date.now();
      if (writtenMs - startedMs < 500) {
        await expectSession(store, 's1', 'u1', session, 'right after upsert()');
      } else {
        context.note(`upsert() took ${writtenMs - startedMs} ms; the live check was left out.`);
      }

      await sleep(writtenMs + 1_000 + 5 - Date.now(), context.signal);
      await expectNoSession(store, 's1', 'u1', 'once 1 s of real time passed');
      if (store.getAll) {
        await expectListed(store, 'u1', [], 'once 1 s of real time passed');
      }

      const count = context.harness.hooks?.countStored;
      if (count === undefined) {
        context.note('The harness has no hooks.countStored; physical removal was not checked.');
        return;
      }
      const freed = await waitFor(
        async () => (await count(store)) === 0,
        cleanupMs,
        context.signal,
      );
      if (!freed) {
        fail(
          `The backend still holds ${await count(store)} entries ${cleanupMs} ms after the ` +
            'session expired (realTimeCleanupMs); its own expiry path did not free them.',
        );
      }
    },
  },
];

import type { SessionStore, StoredSession } from '@sessionstore/core';
import { assertSame, fail } from '../assert.js';
import {
  expectNoSession,
  expectSession,
  makeSession,
  requireMethod,
  waitFor,
} from '../fixtures.js';
import type { ConformanceHarness } from '../harness.js';
import type { CaseContext, ConformanceCase } from '../types.js';

const category = 'cleanup';

/** The default time a backend's own cleanup may take, in ms. */
export const DEFAULT_REAL_TIME_CLEANUP_MS = 5_000;

/** How often the sweep case asks the store to sweep, in ms. */
const SWEEP_INTERVAL_MS = 100;

function cleanupMs(harness: ConformanceHarness<StoredSession>): number {
  return harness.capabilities?.realTimeCleanupMs ?? DEFAULT_REAL_TIME_CLEANUP_MS;
}

async function countStored(
  context: CaseContext,
  store: SessionStore<StoredSession>,
): Promise<number> {
  const count = context.harness.hooks?.countStored;
  if (count === undefined) {
    return context.skip('needs the harness hook hooks.countStored');
  }
  const value = await count(store);
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(`hooks.countStored resolved to ${String(value)}, not a count.`);
  }
  return value;
}

async function expectEmpty(
  context: CaseContext,
  store: SessionStore<StoredSession>,
  when: string,
): Promise<void> {
  const left = await countStored(context, store);
  if (left !== 0) {
    fail(`The backend still holds ${left} entries ${when}; it should hold none.`);
  }
}

const USERS = ['u1', 'u10', 'u1:x', 42] as const;

export const cleanupCases: ConformanceCase[] = [
  {
    id: 'cleanup.prune.counts-expired',
    category,
    title:
      'prune() removes and counts exactly the expired sessions, across users, and keeps live ones',
    needs: ['prune'],
    async run(context) {
      const store = await context.open();
      const live = [makeSession('live-1', 'u1'), makeSession('live-2', 'u2')];

      for (const [index, userId] of ['u1', 'u2', 'u10'].entries()) {
        await store.upsert(makeSession(`expiring-${index}`, userId), 1);
      }
      for (const session of live) {
        await store.upsert(session, 60);
      }
      context.clock.advance(1_000);

      assertSame(await requireMethod(store, 'prune').call(store), 3, 'what prune() counted');
      for (const session of live) {
        await expectSession(store, session.id, session.userId, session, 'after prune()');
      }
    },
  },
  {
    id: 'cleanup.prune.boundary',
    category,
    title:
      'prune() removes a session at the instant it expires, and not one that expires 1 ms later',
    needs: ['prune'],
    async run(context) {
      const store = await context.open();
      const later = makeSession('later', 'u1');

      await store.upsert(makeSession('now', 'u1'), 1);
      context.clock.advance(1);
      await store.upsert(later, 1);
      context.clock.advance(999);

      assertSame(await requireMethod(store, 'prune').call(store), 1, 'what prune() counted');
      await expectSession(store, 'later', 'u1', later, '1 ms before it expires');
    },
  },
  {
    id: 'cleanup.count.create-delete-cycles',
    category,
    title:
      '1,000 create/delete cycles, with and without lockVersion, leave nothing behind in the backend',
    needs: ['hooks.countStored'],
    async run(context) {
      const store = await context.open();

      for (let cycle = 0; cycle < 1_000; cycle++) {
        const userId = USERS[cycle % USERS.length] ?? 'u1';
        const session = makeSession(
          `cycle-${cycle}`,
          userId,
          cycle % 2 === 0 ? { lockVersion: 0 } : {},
        );
        await store.upsert(session, 600);
        await store.delete(session.id, userId);
      }
      await expectEmpty(context, store, 'after 1,000 create/delete cycles');
    },
  },
  {
    id: 'cleanup.count.replace-no-growth',
    category,
    title:
      'replacing one session 100 times, and again after it expired, takes no more room than writing it once',
    needs: ['hooks.countStored'],
    async run(context) {
      const store = await context.open();

      await store.upsert(makeSession('s1', 'u1', { lockVersion: 0 }), 600);
      const once = await countStored(context, store);
      for (let version = 1; version <= 50; version++) {
        await store.upsert(makeSession('s1', 'u1', { lockVersion: version }), 600);
      }
      for (let round = 0; round < 50; round++) {
        await store.upsert(makeSession('s1', 'u1', { round }), 600);
      }
      context.clock.advance(600_000);
      await store.upsert(makeSession('s1', 'u1', { lockVersion: 0 }), 600);

      const after = await countStored(context, store);
      if (after !== once) {
        fail(
          `The backend holds ${after} entries after replacing one session where it held ${once}.`,
        );
      }
    },
  },
  {
    id: 'cleanup.count.prune-leaves-nothing',
    category,
    title: 'after every session of several users expires, prune() leaves nothing in the backend',
    needs: ['prune', 'hooks.countStored'],
    async run(context) {
      const store = await context.open();

      for (const [index, userId] of USERS.entries()) {
        for (let session = 0; session < 10; session++) {
          await store.upsert(makeSession(`s${session}`, userId, { index }), 1 + (session % 3));
        }
      }
      context.clock.advance(3_000);
      const removed = await requireMethod(store, 'prune').call(store);
      assertSame(removed, 40, 'what prune() counted');
      await expectEmpty(context, store, 'after prune() of everything expired');
    },
  },
  {
    id: 'cleanup.count.delete-all-leaves-nothing',
    category,
    title: 'deleteAll() of every user leaves nothing in the backend, expired sessions included',
    needs: ['deleteAll', 'hooks.countStored'],
    async run(context) {
      const store = await context.open();
      const deleteAll = requireMethod(store, 'deleteAll');

      for (const userId of USERS) {
        for (let session = 0; session < 10; session++) {
          await store.upsert(makeSession(`s${session}`, userId), session < 5 ? 1 : 600);
        }
      }
      context.clock.advance(1_000);
      for (const userId of USERS) {
        await deleteAll.call(store, userId);
      }
      await expectEmpty(context, store, 'after deleteAll() of every user');
    },
  },
  {
    id: 'cleanup.count.delete-expired-leaves-nothing',
    category,
    title: 'delete() of expired sessions removes them from the backend too',
    needs: ['hooks.countStored'],
    async run(context) {
      const store = await context.open();

      for (let index = 0; index < 10; index++) {
        await store.upsert(makeSession(`s${index}`, 'u1'), 1);
      }
      context.clock.advance(1_000);
      for (let index = 0; index < 10; index++) {
        await store.delete(`s${index}`, 'u1');
      }
      await expectEmpty(context, store, 'after delete() of every expired session');
    },
  },
  {
    id: 'cleanup.sweep.on-its-own',
    category,
    title:
      'with pruneIntervalMs passed to create, expired entries leave the backend without any call',
    needs: ['hooks.countStored'],
    extraTimeMs: (harness) => cleanupMs(harness) + 1_000,
    async run(context) {
      const store = await context.open({ pruneIntervalMs: SWEEP_INTERVAL_MS });
      const live = makeSession('live', 'u2');

      await store.upsert(live, 3600);
      const liveOnly = await countStored(context, store);
      for (let index = 0; index < 5; index++) {
        await store.upsert(makeSession(`s${index}`, 'u1'), 1);
      }
      context.clock.advance(1_000);

      // Real time passes here: this is the backend's own cleanup. A backend that expires
      // entries on the real clock (Redis, a Mongo TTL index) needs the first second too.
      const limitMs = cleanupMs(context.harness) + 1_000;
      const cleaned = await waitFor(
        async () => (await countStored(context, store)) <= liveOnly,
        limitMs,
        context.signal,
      );
      if (!cleaned) {
        const left = await countStored(context, store);
        fail(
          `${left} entries are still held ${limitMs} ms after five sessions expired with ` +
            `pruneIntervalMs ${SWEEP_INTERVAL_MS}; the live session alone takes ${liveOnly}.`,
        );
      }
      await expectSession(store, 'live', 'u2', live, 'after the sweep');
      await expectNoSession(store, 's0', 'u1', 'after the sweep');
    },
  },
];

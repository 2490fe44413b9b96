import { MAX_TTL_SECONDS } from '@sessionstore/core';
import { assert, assertSame } from '../assert.js';
import {
  expectListed,
  expectNoSession,
  expectSession,
  makeSession,
  requireMethod,
} from '../fixtures.js';
import type { ConformanceCase } from '../types.js';

const category = 'expiry';

/** Where in a second an expiry is put, to catch a store that rounds to whole seconds. */
const PHASES_MS = [1, 500, 999] as const;

export const expiryCases: ConformanceCase[] = [
  {
    id: 'expiry.boundary.before-expiry',
    category,
    title: 'a session is live 1 ms before now + ttl, wherever in a second the upsert happens',
    async run(context) {
      const store = await context.open();

      for (const phase of PHASES_MS) {
        const session = makeSession(`s-${phase}`, 'u1');
        context.clock.advanceToPhase(phase);
        await store.upsert(session, 2);
        context.clock.advance(1_999);
        await expectSession(
          store,
          session.id,
          'u1',
          session,
          `1 ms before expiry (phase ${phase})`,
        );
      }
    },
  },
  {
    id: 'expiry.boundary.at-expiry',
    category,
    title:
      'get() returns null at the very instant now + ttl, wherever in a second the upsert happens',
    async run(context) {
      const store = await context.open();

      for (const phase of PHASES_MS) {
        const session = makeSession(`s-${phase}`, 'u1');
        context.clock.advanceToPhase(phase);
        await store.upsert(session, 2);
        context.clock.advance(2_000);
        await expectNoSession(store, session.id, 'u1', `at the instant of expiry (phase ${phase})`);
      }
    },
  },
  {
    id: 'expiry.boundary.after-expiry',
    category,
    title: 'an expired session stays gone as time goes on',
    async run(context) {
      const store = await context.open();

      await store.upsert(makeSession('s1', 'u1'), 1);
      for (const step of [1_000, 1, 1_000, 60_000, 86_400_000]) {
        context.clock.advance(step);
        await expectNoSession(store, 's1', 'u1', 'after expiry');
      }
    },
  },
  {
    id: 'expiry.get-all.omits-expired',
    category,
    title: 'getAll() omits expired sessions at the instant they expire and keeps live ones',
    needs: ['getAll'],
    async run(context) {
      const store = await context.open();
      context.clock.advanceToPhase(500);
      const short = makeSession('short', 'u1');
      const long = makeSession('long', 'u1');

      await store.upsert(short, 1);
      await store.upsert(long, 2);
      context.clock.advance(999);
      await expectListed(store, 'u1', [short, long], '1 ms before the first expiry');
      context.clock.advance(1);
      await expectListed(store, 'u1', [long], 'at the first expiry');
      context.clock.advance(1_000);
      await expectListed(store, 'u1', [], 'at the second expiry');
    },
  },
  {
    id: 'expiry.get-all.not-counted',
    category,
    title: 'expired sessions are not counted in getAll() among many live ones',
    needs: ['getAll'],
    async run(context) {
      const store = await context.open();
      const live = [];

      for (let index = 0; index < 20; index++) {
        const session = makeSession(`s${index}`, 'u1');
        const expiring = index % 2 === 0;
        await store.upsert(session, expiring ? 5 : 50);
        if (!expiring) live.push(session);
      }
      context.clock.advance(5_000);
      await expectListed(store, 'u1', live, 'after half the sessions expired');
    },
  },
  {
    id: 'expiry.never-revived.by-other-upsert',
    category,
    title: "an expired session stays gone after upserts of the user's other sessions",
    async run(context) {
      const store = await context.open();
      const other = makeSession('s2', 'u1');

      await store.upsert(makeSession('s1', 'u1'), 1);
      await store.upsert(other, 100);
      context.clock.advance(1_000);
      await store.upsert(other, 100);
      await store.upsert(makeSession('s3', 'u1'), 100);

      await expectNoSession(store, 's1', 'u1', 'after upserts of other sessions');
      if (store.getAll) {
        await expectListed(store, 'u1', [other, makeSession('s3', 'u1')]);
      }
    },
  },
  {
    id: 'expiry.never-revived.by-prune',
    category,
    title: 'an expired session stays gone after prune(), and prune() keeps live sessions',
    needs: ['prune'],
    async run(context) {
      const store = await context.open();
      const live = makeSession('live', 'u1');

      await store.upsert(makeSession('expired', 'u1'), 1);
      await store.upsert(live, 100);
      context.clock.advance(1_000);
      await requireMethod(store, 'prune').call(store);
      await store.upsert(makeSession('other', 'u1'), 100);

      await expectNoSession(store, 'expired', 'u1', 'after prune()');
      await expectSession(store, 'live', 'u1', live, 'after prune()');
    },
  },
  {
    id: 'expiry.never-revived.by-delete-of-other',
    category,
    title: 'an expired session stays gone after delete() and getAll() calls around it',
    async run(context) {
      const store = await context.open();

      await store.upsert(makeSession('s1', 'u1'), 1);
      await store.upsert(makeSession('s2', 'u1'), 1);
      context.clock.advance(1_000);
      await store.delete('s2', 'u1');
      await store.getAll?.('u1');
      await expectNoSession(store, 's1', 'u1', 'after activity around it');
    },
  },
  {
    id: 'expiry.clock.read-at-upsert',
    category,
    title:
      "expiry is counted from the store clock's reading at each upsert, not at the store's creation",
    async run(context) {
      const store = await context.open();
      const session = makeSession('s1', 'u1');

      context.clock.advance(3_600_000);
      await store.upsert(session, 10);
      context.clock.advance(9_999);
      await expectSession(store, 's1', 'u1', session, '1 ms before now + ttl');
      context.clock.advance(1);
      await expectNoSession(store, 's1', 'u1', 'at now + ttl');
    },
  },
  {
    id: 'expiry.ttl.max-stays-live',
    category,
    title:
      'ttl 2,147,483,647 s is accepted; the session is live 1 ms before and gone at that far instant',
    async run(context) {
      const store = await context.open();
      const session = makeSession('s1', 'u1');
      const lifetimeMs = MAX_TTL_SECONDS * 1000;

      await store.upsert(session, MAX_TTL_SECONDS);
      await expectSession(store, 's1', 'u1', session, 'right after upsert()');
      context.clock.advance(20 * 365 * 86_400_000);
      await expectSession(store, 's1', 'u1', session, '20 years later');
      context.clock.advance(lifetimeMs - 20 * 365 * 86_400_000 - 1);
      await expectSession(store, 's1', 'u1', session, '1 ms before expiry, 68 years later');
      context.clock.advance(1);
      await expectNoSession(store, 's1', 'u1', 'at expiry, 68 years later');
    },
  },
  {
    id: 'expiry.ttl.one-second',
    category,
    title: 'ttl 1 keeps a session for exactly 1,000 ms',
    async run(context) {
      const store = await context.open();
      const session = makeSession('s1', 'u1');

      context.clock.advanceToPhase(999);
      await store.upsert(session, 1);
      context.clock.advance(999);
      await expectSession(store, 's1', 'u1', session, 'after 999 ms');
      context.clock.advance(1);
      await expectNoSession(store, 's1', 'u1', 'after 1,000 ms');
    },
  },
  {
    id: 'expiry.expired.delete-and-recreate',
    category,
    title: 'delete() of an expired session resolves, and a new upsert() of its id starts afresh',
    async run(context) {
      const store = await context.open();
      const fresh = makeSession('s1', 'u1', { round: 2 });

      await store.upsert(makeSession('s1', 'u1', { round: 1 }), 1);
      context.clock.advance(1_000);
      await store.delete('s1', 'u1');
      await store.upsert(fresh, 1);
      await expectSession(store, 's1', 'u1', fresh, 'after a new upsert()');
      context.clock.advance(999);
      await expectSession(store, 's1', 'u1', fresh, '999 ms after the new upsert()');
    },
  },
  {
    id: 'expiry.prune.counted-once',
    category,
    title: 'prune() counts each expired session once; a second prune() counts 0',
    needs: ['prune'],
    async run(context) {
      const store = await context.open();
      const prune = requireMethod(store, 'prune');

      await store.upsert(makeSession('s1', 'u1'), 1);
      await store.upsert(makeSession('s2', 'u2'), 1);
      context.clock.advance(1_000);
      const first = await prune.call(store);
      assert(first === 2, `the first prune() counted ${first} where 2 sessions had expired.`);
      assertSame(await prune.call(store), 0, 'the second prune()');
    },
  },
];

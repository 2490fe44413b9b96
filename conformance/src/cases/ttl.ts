import { MAX_TTL_SECONDS } from '@sessionstore/core';
import { assertRejects, show } from '../assert.js';
import { expectListed, expectNoSession, expectSession, makeSession } from '../fixtures.js';
import type { ConformanceCase } from '../types.js';

const category = 'ttl';

/** Every ttl the contract refuses. */
export const INVALID_TTLS: readonly unknown[] = Object.freeze([
  0,
  -1,
  -0,
  1.5,
  0.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  '60',
  '',
  MAX_TTL_SECONDS + 1,
  2 ** 53,
  null,
  undefined,
  60n,
  true,
  {},
  [60],
]);

export const ttlCases: ConformanceCase[] = [
  {
    id: 'ttl.invalid.rejected',
    category,
    title:
      'ttlSeconds 0, -1, 1.5, NaN, Infinity, "60", 2147483648, null, undefined and others reject INVALID_ARGUMENT',
    async run(context) {
      const store = await context.open();

      for (const ttl of INVALID_TTLS) {
        const session = makeSession('s1', 'u1');
        await assertRejects(
          () => store.upsert(session, ttl as number),
          'INVALID_ARGUMENT',
          `upsert(session, ${show(ttl)})`,
        );
      }
      await expectNoSession(store, 's1', 'u1', 'after upserts with invalid ttls');
    },
  },
  {
    id: 'ttl.invalid.stored-copy-untouched',
    category,
    title: 'an upsert() with an invalid ttl leaves the stored copy, and its expiry, as they were',
    async run(context) {
      const store = await context.open();
      const original = makeSession('s1', 'u1', { round: 1 });

      await store.upsert(original, 10);
      for (const ttl of INVALID_TTLS) {
        const changed = makeSession('s1', 'u1', { round: 2 });
        await assertRejects(
          () => store.upsert(changed, ttl as number),
          'INVALID_ARGUMENT',
          `upsert(session, ${show(ttl)})`,
        );
      }
      await expectSession(store, 's1', 'u1', original, 'after rejected upserts');
      context.clock.advance(10_000);
      await expectNoSession(store, 's1', 'u1', 'at the original expiry');
    },
  },
  {
    id: 'ttl.invalid.with-lock-version',
    category,
    title: 'a compare-and-set upsert() with an invalid ttl writes nothing and bumps no lockVersion',
    async run(context) {
      const store = await context.open();

      await store.upsert(makeSession('s1', 'u1', { lockVersion: 0 }), 60);
      for (const ttl of [0, -1, 1.5, '60', Number.NaN]) {
        await assertRejects(
          () => store.upsert(makeSession('s1', 'u1', { lockVersion: 1, round: 2 }), ttl as number),
          'INVALID_ARGUMENT',
          `upsert({ lockVersion: 1 }, ${show(ttl)})`,
        );
      }
      await expectSession(store, 's1', 'u1', makeSession('s1', 'u1', { lockVersion: 1 }));
    },
  },
  {
    id: 'ttl.valid.bounds',
    category,
    title: 'ttlSeconds 1 and 2,147,483,647 are accepted',
    async run(context) {
      const store = await context.open();
      const shortest = makeSession('shortest', 'u1');
      const longest = makeSession('longest', 'u1');

      await store.upsert(shortest, 1);
      await store.upsert(longest, MAX_TTL_SECONDS);
      if (store.getAll) {
        await expectListed(store, 'u1', [shortest, longest]);
      } else {
        await expectSession(store, 'shortest', 'u1', shortest);
        await expectSession(store, 'longest', 'u1', longest);
      }
    },
  },
];

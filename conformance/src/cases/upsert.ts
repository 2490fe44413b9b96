import { expectListed, expectNoSession, expectSession, makeSession } from '../fixtures.js';
import type { ConformanceCase } from '../types.js';

const category = 'upsert';

export const upsertCases: ConformanceCase[] = [
  {
    id: 'upsert.replaces.whole-object',
    category,
    title: 'a second upsert() replaces the whole session: fields it lacks are gone, not merged',
    async run(context) {
      const store = await context.open();
      const first = makeSession('s1', 'u1', { role: 'admin', mfa: true, note: 'first' });
      const second = makeSession('s1', 'u1', { note: 'second' });

      await store.upsert(first, 60);
      await store.upsert(second, 60);
      await expectSession(store, 's1', 'u1', second, 'after the second upsert()');
    },
  },
  {
    id: 'upsert.replaces.nested-objects',
    category,
    title: 'nested objects and arrays are replaced, not merged key by key or item by item',
    async run(context) {
      const store = await context.open();
      const first = makeSession('s1', 'u1', {
        extraPayload: { device: 'laptop', ip: '10.0.0.1', flags: { a: 1, b: 2 } },
        list: [1, 2, 3],
      });
      const second = makeSession('s1', 'u1', {
        extraPayload: { flags: { c: 3 } },
        list: [9],
      });

      await store.upsert(first, 60);
      await store.upsert(second, 60);
      await expectSession(store, 's1', 'u1', second, 'after the second upsert()');
    },
  },
  {
    id: 'upsert.replaces.fields-removed',
    category,
    title: 'a field set to undefined in the second upsert() is gone afterwards',
    async run(context) {
      const store = await context.open();
      const first = makeSession('s1', 'u1', { refreshTokenId: 'rt-1', pending: 'yes' });
      const second = { ...first, pending: undefined };
      const expected = makeSession('s1', 'u1', { refreshTokenId: 'rt-1' });

      await store.upsert(first, 60);
      await store.upsert(second, 60);
      await expectSession(store, 's1', 'u1', expected, 'after an upsert() without the field');
    },
  },
  {
    id: 'upsert.replaces.listed-once',
    category,
    title: 'after several upserts of one session, getAll() lists it once, in its latest form',
    needs: ['getAll'],
    async run(context) {
      const store = await context.open();

      for (let round = 1; round <= 5; round++) {
        await store.upsert(makeSession('s1', 'u1', { round }), 60);
      }
      await expectListed(store, 'u1', [makeSession('s1', 'u1', { round: 5 })]);
    },
  },
  {
    id: 'upsert.resets-expiry.longer',
    category,
    title: 'upsert() resets the expiry: a session refreshed before it expires lives a new ttl',
    async run(context) {
      const store = await context.open();
      const session = makeSession('s1', 'u1');

      await store.upsert(session, 10);
      context.clock.advance(9_000);
      await store.upsert(session, 10);
      context.clock.advance(9_999);
      await expectSession(store, 's1', 'u1', session, '19.999 s after the first upsert()');
      context.clock.advance(1);
      await expectNoSession(store, 's1', 'u1', '10 s after the refresh');
    },
  },
  {
    id: 'upsert.resets-expiry.shorter',
    category,
    title: 'upsert() with a shorter ttl shortens the expiry',
    async run(context) {
      const store = await context.open();
      const session = makeSession('s1', 'u1');

      await store.upsert(session, 3600);
      await store.upsert(session, 1);
      context.clock.advance(1_000);
      await expectNoSession(store, 's1', 'u1', '1 s after an upsert() with ttl 1');
    },
  },
  {
    id: 'upsert.after-delete.creates',
    category,
    title: 'upsert() without lockVersion after delete() stores the session again',
    async run(context) {
      const store = await context.open();
      const session = makeSession('s1', 'u1', { round: 2 });

      await store.upsert(makeSession('s1', 'u1', { round: 1 }), 60);
      await store.delete('s1', 'u1');
      await store.upsert(session, 60);
      await expectSession(store, 's1', 'u1', session, 'after delete() and upsert()');
    },
  },
];

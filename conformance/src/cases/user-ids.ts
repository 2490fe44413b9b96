import type { UserId } from '@sessionstore/core';
import { assertSame, show } from '../assert.js';
import {
  expectListed,
  expectNoSession,
  expectSession,
  makeSession,
  requireMethod,
} from '../fixtures.js';
import type { ConformanceCase } from '../types.js';

const category = 'user-ids';

/** 2^53 + 1: the first integer a number cannot hold. */
const ABOVE_SAFE = 9_007_199_254_740_993n;

export const userIdCases: ConformanceCase[] = [
  {
    id: 'user-ids.forms.same-user',
    category,
    title: '123, 123n and "123" are one user for get(), delete() and getAll()',
    async run(context) {
      const store = await context.open();
      const session = makeSession('s1', 123);

      await store.upsert(session, 60);
      for (const form of [123, 123n, '123'] as const) {
        await expectSession(store, 's1', form, session);
      }
      if (store.getAll) {
        for (const form of [123, 123n, '123'] as const) {
          await expectListed(store, form, [session]);
        }
      }
      await store.delete('s1', '123');
      await expectNoSession(store, 's1', 123n, 'after delete() with the string form');
    },
  },
  {
    id: 'user-ids.forms.written-any-way',
    category,
    title:
      'sessions written under 7, 7n and "7" are all listed by getAll(7) and removed by deleteAll("7")',
    needs: ['getAll', 'deleteAll'],
    async run(context) {
      const store = await context.open();
      const sessions = [makeSession('a', 7), makeSession('b', 7n), makeSession('c', '7')];

      for (const session of sessions) {
        await store.upsert(session, 60);
      }
      await expectListed(store, 7, sessions);
      await expectListed(store, 7n, sessions);
      await requireMethod(store, 'deleteAll').call(store, '7');
      await expectListed(store, 7, [], 'after deleteAll("7")');
    },
  },
  {
    id: 'user-ids.forms.replace-across-forms',
    category,
    title: 'an upsert() under 123n replaces the session written under 123',
    async run(context) {
      const store = await context.open();
      const second = makeSession('s1', 123n, { round: 2 });

      await store.upsert(makeSession('s1', 123, { round: 1 }), 60);
      await store.upsert(second, 60);
      await expectSession(store, 's1', '123', second);
    },
  },
  {
    id: 'user-ids.forms.not-the-same',
    category,
    title: '"0123", "+123", "123.0", " 123", "1e2" and -123 are not user 123 (or 100)',
    async run(context) {
      const store = await context.open();

      await store.upsert(makeSession('s1', 123), 60);
      await store.upsert(makeSession('s1', 100), 60);
      for (const other of ['0123', '+123', '123.0', ' 123', '123 ', '1e2', '0x7b', -123, '-123']) {
        await expectNoSession(store, 's1', other);
      }
    },
  },
  {
    id: 'user-ids.returned-type-kept',
    category,
    title:
      'the userId in a returned session has the type it was stored with, whatever form was asked',
    async run(context) {
      const store = await context.open();
      const cases: [UserId, UserId][] = [
        [5, '5'],
        [6n, 6],
        ['8', 8n],
      ];

      for (const [stored, asked] of cases) {
        await store.upsert(makeSession('s1', stored), 60);
        const session = await store.get('s1', asked);
        assertSame(session?.userId, stored, `the userId of get(${show(asked)})`);
        if (store.getAll) {
          const [listed] = await store.getAll(asked);
          assertSame(listed?.userId, stored, `the userId listed by getAll(${show(asked)})`);
        }
      }
    },
  },
  {
    id: 'user-ids.negative-and-zero',
    category,
    title: '-5, -5n and "-5" are one user, different from 5; 0, 0n and "0" are one user',
    async run(context) {
      const store = await context.open();
      const negative = makeSession('s1', -5);
      const zero = makeSession('s1', 0n);

      await store.upsert(negative, 60);
      await store.upsert(zero, 60);
      await expectSession(store, 's1', -5n, negative);
      await expectSession(store, 's1', '-5', negative);
      await expectNoSession(store, 's1', 5);
      await expectSession(store, 's1', 0, zero);
      await expectSession(store, 's1', '0', zero);
    },
  },
  {
    id: 'user-ids.big.exact',
    category,
    title:
      'bigint ids above 2^53 are kept exactly: 2^53 + 1 is not 2^53, and comes back as a bigint',
    async run(context) {
      const store = await context.open();
      const above = makeSession('s1', ABOVE_SAFE, { which: 'above' });
      const limit = makeSession('s1', ABOVE_SAFE - 1n, { which: 'limit' });
      const huge = makeSession('s1', 2n ** 200n + 7n, { which: 'huge' });
      const negativeHuge = makeSession('s1', -(2n ** 100n), { which: 'negative' });

      for (const session of [above, limit, huge, negativeHuge]) {
        await store.upsert(session, 60);
      }
      await expectSession(store, 's1', ABOVE_SAFE, above);
      await expectSession(store, 's1', ABOVE_SAFE.toString(), above);
      await expectSession(store, 's1', ABOVE_SAFE - 1n, limit);
      await expectSession(store, 's1', 2n ** 200n + 7n, huge);
      await expectSession(store, 's1', (-(2n ** 100n)).toString(), negativeHuge);
    },
  },
  {
    id: 'user-ids.big.listed-apart',
    category,
    title: 'getAll() and deleteAll() of 2^53 + 1 never touch 2^53 or 2^53 + 2',
    needs: ['getAll', 'deleteAll'],
    async run(context) {
      const store = await context.open();
      const neighbours = [ABOVE_SAFE - 1n, ABOVE_SAFE + 1n];
      const mine = makeSession('mine', ABOVE_SAFE);

      await store.upsert(mine, 60);
      for (const userId of neighbours) {
        await store.upsert(makeSession('theirs', userId), 60);
      }
      await expectListed(store, ABOVE_SAFE, [mine]);
      await requireMethod(store, 'deleteAll').call(store, ABOVE_SAFE);
      for (const userId of neighbours) {
        await expectSession(store, 'theirs', userId, makeSession('theirs', userId));
      }
    },
  },
  {
    id: 'user-ids.strings.long-and-multibyte',
    category,
    title:
      'string user ids of 512 UTF-8 bytes, multi-byte ones included, are accepted and distinct',
    async run(context) {
      const store = await context.open();
      const ascii = 'u'.repeat(512);
      const fourByte = '😀'.repeat(128);
      const threeAndTwo = `${'日'.repeat(170)}é`;
      const ids = [ascii, ascii.slice(1), fourByte, threeAndTwo, 'שלום', 'مرحبا'];

      for (const userId of ids) {
        await store.upsert(makeSession('s1', userId), 60);
      }
      for (const userId of ids) {
        await expectSession(store, 's1', userId, makeSession('s1', userId));
      }
    },
  },
];

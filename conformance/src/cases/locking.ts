import { assertRejects } from '../assert.js';
import {
  expectListed,
  expectNoSession,
  expectSession,
  makeSession,
  requireMethod,
} from '../fixtures.js';
import type { ConformanceCase } from '../types.js';

const category = 'locking';

export const lockingCases: ConformanceCase[] = [
  {
    id: 'locking.create.zero-creates',
    category,
    title: 'upsert() with lockVersion 0 creates the session, stored with lockVersion 1',
    async run(context) {
      const store = await context.open();

      await store.upsert(makeSession('s1', 'u1', { lockVersion: 0 }), 60);
      await expectSession(store, 's1', 'u1', makeSession('s1', 'u1', { lockVersion: 1 }));
    },
  },
  {
    id: 'locking.create.zero-conflicts-when-live',
    category,
    title: 'upsert() with lockVersion 0 rejects CONFLICT when a live copy exists, locked or not',
    async run(context) {
      const store = await context.open();
      const locked = makeSession('locked', 'u1', { lockVersion: 0 });
      const plain = makeSession('plain', 'u1');

      await store.upsert(locked, 60);
      await store.upsert(plain, 60);
      for (const id of ['locked', 'plain']) {
        await assertRejects(
          () => store.upsert(makeSession(id, 'u1', { lockVersion: 0, round: 2 }), 60),
          'CONFLICT',
          `upsert({ id: "${id}", lockVersion: 0 }) over a live copy`,
        );
      }
      await expectSession(store, 'locked', 'u1', makeSession('locked', 'u1', { lockVersion: 1 }));
      await expectSession(store, 'plain', 'u1', plain);
    },
  },
  {
    id: 'locking.update.increments',
    category,
    title: 'upsert() with lockVersion n over a live copy at n stores the new session at n + 1',
    async run(context) {
      const store = await context.open();

      await store.upsert(makeSession('s1', 'u1', { lockVersion: 0, round: 0 }), 60);
      for (let version = 1; version <= 5; version++) {
        await store.upsert(makeSession('s1', 'u1', { lockVersion: version, round: version }), 60);
        await expectSession(
          store,
          's1',
          'u1',
          makeSession('s1', 'u1', { lockVersion: version + 1, round: version }),
          `after the update from lockVersion ${version}`,
        );
      }
    },
  },
  {
    id: 'locking.update.wrong-version-conflicts',
    category,
    title:
      'upsert() with a lockVersion other than the stored one rejects CONFLICT and writes nothing',
    async run(context) {
      const store = await context.open();
      const stored = makeSession('s1', 'u1', { lockVersion: 3 });

      await store.upsert(makeSession('s1', 'u1', { lockVersion: 0 }), 60);
      await store.upsert(makeSession('s1', 'u1', { lockVersion: 1 }), 60);
      await store.upsert(makeSession('s1', 'u1', { lockVersion: 2 }), 60);
      for (const wrong of [1, 2, 4, 100]) {
        await assertRejects(
          () => store.upsert(makeSession('s1', 'u1', { lockVersion: wrong, round: 'lost' }), 60),
          'CONFLICT',
          `upsert({ lockVersion: ${wrong} }) over lockVersion 3`,
        );
      }
      await expectSession(store, 's1', 'u1', stored, 'after the conflicting upserts');
    },
  },
  {
    id: 'locking.update.missing-conflicts',
    category,
    title:
      'upsert() with lockVersion 1 of a session that never existed rejects CONFLICT and creates nothing',
    async run(context) {
      const store = await context.open();

      await assertRejects(
        () => store.upsert(makeSession('s1', 'u1', { lockVersion: 1 }), 60),
        'CONFLICT',
        'upsert({ lockVersion: 1 }) of a missing session',
      );
      await expectNoSession(store, 's1', 'u1', 'after the conflict');
      if (store.getAll) {
        await expectListed(store, 'u1', [], 'after the conflict');
      }
    },
  },
  {
    id: 'locking.update.unlocked-copy-conflicts',
    category,
    title: 'upsert() with lockVersion n over a copy written without a lockVersion rejects CONFLICT',
    async run(context) {
      const store = await context.open();
      const plain = makeSession('s1', 'u1');

      await store.upsert(plain, 60);
      await assertRejects(
        () => store.upsert(makeSession('s1', 'u1', { lockVersion: 1 }), 60),
        'CONFLICT',
        'upsert({ lockVersion: 1 }) over a copy without lockVersion',
      );
      await expectSession(store, 's1', 'u1', plain, 'after the conflict');
    },
  },
  {
    id: 'locking.unconditional.overrides',
    category,
    title: 'upsert() without lockVersion replaces a locked copy whatever its version',
    async run(context) {
      const store = await context.open();
      const plain = makeSession('s1', 'u1', { round: 'forced' });

      await store.upsert(makeSession('s1', 'u1', { lockVersion: 0 }), 60);
      await store.upsert(makeSession('s1', 'u1', { lockVersion: 1 }), 60);
      await store.upsert(plain, 60);
      await expectSession(store, 's1', 'u1', plain, 'after an unconditional upsert()');
    },
  },
  {
    id: 'locking.stale.after-delete',
    category,
    title: 'a stale update after delete() rejects CONFLICT and never revives the session',
    async run(context) {
      const store = await context.open();

      await store.upsert(makeSession('s1', 'u1', { lockVersion: 0 }), 60);
      await store.delete('s1', 'u1');
      await assertRejects(
        () => store.upsert(makeSession('s1', 'u1', { lockVersion: 1 }), 60),
        'CONFLICT',
        'upsert({ lockVersion: 1 }) after delete()',
      );
      await expectNoSession(store, 's1', 'u1', 'after the stale update');
      if (store.getAll) {
        await expectListed(store, 'u1', [], 'after the stale update');
      }
    },
  },
  {
    id: 'locking.stale.after-delete-all',
    category,
    title: 'a stale update after deleteAll() rejects CONFLICT and never revives the session',
    needs: ['deleteAll'],
    async run(context) {
      const store = await context.open();

      await store.upsert(makeSession('s1', 'u1', { lockVersion: 0 }), 60);
      await store.upsert(makeSession('s1', 'u1', { lockVersion: 1 }), 60);
      await requireMethod(store, 'deleteAll').call(store, 'u1');
      for (const version of [1, 2]) {
        await assertRejects(
          () => store.upsert(makeSession('s1', 'u1', { lockVersion: version }), 60),
          'CONFLICT',
          `upsert({ lockVersion: ${version} }) after deleteAll()`,
        );
      }
      await expectNoSession(store, 's1', 'u1', 'after the stale updates');
    },
  },
  {
    id: 'locking.stale.after-expiry',
    category,
    title: 'a stale update after expiry rejects CONFLICT and never revives the session',
    async run(context) {
      const store = await context.open();

      await store.upsert(makeSession('s1', 'u1', { lockVersion: 0 }), 1);
      context.clock.advance(1_000);
      await assertRejects(
        () => store.upsert(makeSession('s1', 'u1', { lockVersion: 1 }), 60),
        'CONFLICT',
        'upsert({ lockVersion: 1 }) after expiry',
      );
      await expectNoSession(store, 's1', 'u1', 'after the stale update');
      if (store.getAll) {
        await expectListed(store, 'u1', [], 'after the stale update');
      }
    },
  },
  {
    id: 'locking.create.after-expiry',
    category,
    title:
      'upsert() with lockVersion 0 after the session expired creates it again at lockVersion 1',
    async run(context) {
      const store = await context.open();

      await store.upsert(makeSession('s1', 'u1', { lockVersion: 0 }), 1);
      await store.upsert(makeSession('s1', 'u1', { lockVersion: 1 }), 1);
      context.clock.advance(1_000);
      await store.upsert(makeSession('s1', 'u1', { lockVersion: 0, round: 2 }), 60);
      await expectSession(store, 's1', 'u1', makeSession('s1', 'u1', { lockVersion: 1, round: 2 }));
    },
  },
  {
    id: 'locking.create.after-delete',
    category,
    title: 'upsert() with lockVersion 0 after delete() creates the session again',
    async run(context) {
      const store = await context.open();

      await store.upsert(makeSession('s1', 'u1', { lockVersion: 0 }), 60);
      await store.delete('s1', 'u1');
      await store.upsert(makeSession('s1', 'u1', { lockVersion: 0, round: 2 }), 60);
      await expectSession(store, 's1', 'u1', makeSession('s1', 'u1', { lockVersion: 1, round: 2 }));
    },
  },
  {
    id: 'locking.conflict.writes-nothing',
    category,
    title: 'a CONFLICT leaves the stored payload and expiry as they were',
    async run(context) {
      const store = await context.open();
      const stored = makeSession('s1', 'u1', { lockVersion: 1, round: 1 });

      await store.upsert(makeSession('s1', 'u1', { lockVersion: 0, round: 1 }), 10);
      await assertRejects(
        () => store.upsert(makeSession('s1', 'u1', { lockVersion: 5, round: 2 }), 3600),
        'CONFLICT',
        'upsert({ lockVersion: 5 }) over lockVersion 1',
      );
      await assertRejects(
        () => store.upsert(makeSession('s1', 'u1', { lockVersion: 0, round: 3 }), 3600),
        'CONFLICT',
        'upsert({ lockVersion: 0 }) over a live copy',
      );
      await expectSession(store, 's1', 'u1', stored, 'after the conflicts');
      context.clock.advance(10_000);
      await expectNoSession(store, 's1', 'u1', 'at the original expiry');
    },
  },
  {
    id: 'locking.users.isolated',
    category,
    title:
      "a compare-and-set sees only its own user's copy: lockVersion 0 for u2 succeeds beside u1's",
    async run(context) {
      const store = await context.open();

      await store.upsert(makeSession('s1', 'u1', { lockVersion: 0 }), 60);
      await store.upsert(makeSession('s1', 'u1', { lockVersion: 1 }), 60);
      await store.upsert(makeSession('s1', 'u2', { lockVersion: 0 }), 60);
      await assertRejects(
        () => store.upsert(makeSession('s1', 'u2', { lockVersion: 2 }), 60),
        'CONFLICT',
        "upsert({ userId: 'u2', lockVersion: 2 }) when only u1 is at 2",
      );
      await expectSession(store, 's1', 'u1', makeSession('s1', 'u1', { lockVersion: 2 }));
      await expectSession(store, 's1', 'u2', makeSession('s1', 'u2', { lockVersion: 1 }));
    },
  },
];

import { assert, assertDeepEqual, assertSame, fail, show } from '../assert.js';
import {
  expectListed,
  expectNoSession,
  expectSession,
  makeSession,
  requireMethod,
} from '../fixtures.js';
import type { ConformanceCase } from '../types.js';

const category = 'contract';

export const contractCases: ConformanceCase[] = [
  {
    id: 'contract.shape.methods',
    category,
    title: 'the store has get, upsert and delete, and any optional method it has is a function',
    async run(context) {
      const store = await context.open();

      for (const name of ['get', 'upsert', 'delete'] as const) {
        assertSame(typeof store[name], 'function', `store.${name}`);
      }
      for (const name of ['getAll', 'deleteAll', 'prune', 'close'] as const) {
        const type = typeof store[name];
        assert(
          type === 'undefined' || type === 'function',
          `store.${name} is a ${type}; an optional method is a function or absent.`,
        );
      }
    },
  },
  {
    id: 'contract.shape.returns-promises',
    category,
    title: 'every method returns a promise, and writes resolve to undefined',
    async run(context) {
      const store = await context.open();
      const session = makeSession('s1', 'u1');

      const calls: [string, () => unknown, boolean][] = [
        ['upsert()', () => store.upsert(session, 60), true],
        ['get()', () => store.get('s1', 'u1'), false],
        ['delete()', () => store.delete('s1', 'u1'), true],
      ];
      if (store.getAll) calls.push(['getAll()', () => store.getAll?.('u1'), false]);
      if (store.deleteAll) calls.push(['deleteAll()', () => store.deleteAll?.('u1'), true]);
      if (store.prune) calls.push(['prune()', () => store.prune?.(), false]);

      for (const [what, call, resolvesUndefined] of calls) {
        const pending = call();
        assert(pending instanceof Promise || isThenable(pending), `${what} returned no promise.`);
        const value = await pending;
        if (resolvesUndefined) {
          assertSame(value, undefined, `what ${what} resolved to`);
        }
      }
    },
  },
  {
    id: 'contract.get.unknown-is-null',
    category,
    title: 'get() of a session that was never stored resolves to null, not undefined',
    async run(context) {
      const store = await context.open();

      const value = await store.get('never-stored', 'u1');
      assertSame(value, null, 'get() of an unknown session');
      await store.upsert(makeSession('s1', 'u1'), 60);
      assertSame(await store.get('s2', 'u1'), null, 'get() of an unknown session of a known user');
    },
  },
  {
    id: 'contract.round-trip.charon-session',
    category,
    title: 'a session in Charon shape round-trips deep-equal through get() and getAll()',
    async run(context) {
      const store = await context.open();
      const session = makeSession('sid-1', 42, { expiresAt: 'infinite' });

      await store.upsert(session, 3600);
      await expectSession(store, 'sid-1', 42, session);
      if (store.getAll) {
        await expectListed(store, 42, [session]);
      }
    },
  },
  {
    id: 'contract.get.returns-a-copy',
    category,
    title: 'changing a returned session, or the object given to upsert(), changes nothing stored',
    async run(context) {
      const store = await context.open();
      const session = makeSession('s1', 'u1', { nested: { list: [1, 2] } });
      const expected = structuredClone(session);

      await store.upsert(session, 60);
      (session.nested as { list: number[] }).list.push(3);
      session.type = 'changed';
      const first = await store.get('s1', 'u1');
      assert(first !== null, 'get() returned null after upsert().');
      first.type = 'changed again';
      (first.nested as { list: number[] }).list.push(4);

      await expectSession(store, 's1', 'u1', expected, 'after the caller changed its objects');
    },
  },
  {
    id: 'contract.upsert.input-not-mutated',
    category,
    title: 'upsert() leaves the session object it was given unchanged, lockVersion included',
    async run(context) {
      const store = await context.open();
      const session = makeSession('s1', 'u1', {
        lockVersion: 0,
        when: new Date(1_700_000_000_000),
        gone: undefined,
      });
      const before = structuredClone(session);

      await store.upsert(session, 60);
      assertDeepEqual(session, before, 'the object given to upsert(), after the call');
      assert(Object.hasOwn(session, 'gone'), 'upsert() removed a property of its argument.');
    },
  },
  {
    id: 'contract.delete.idempotent',
    category,
    title: 'delete() of a missing session resolves, and deleting twice resolves both times',
    async run(context) {
      const store = await context.open();

      await store.delete('never-stored', 'nobody');
      await store.upsert(makeSession('s1', 'u1'), 60);
      await store.delete('s1', 'u1');
      await store.delete('s1', 'u1');
      await expectNoSession(store, 's1', 'u1', 'after delete()');
    },
  },
  {
    id: 'contract.delete.only-that-session',
    category,
    title: "delete() removes the one session and leaves the user's others",
    needs: ['getAll'],
    async run(context) {
      const store = await context.open();
      const kept = makeSession('s2', 'u1');

      await store.upsert(makeSession('s1', 'u1'), 60);
      await store.upsert(kept, 60);
      await store.delete('s1', 'u1');

      await expectNoSession(store, 's1', 'u1', 'after delete()');
      await expectListed(store, 'u1', [kept], 'after delete() of another session');
    },
  },
  {
    id: 'contract.delete.clock-unreadable',
    category,
    title:
      'delete() revokes a session while the store clock throws or returns NaN: logging out ' +
      'never depends on the clock',
    async run(context) {
      let broken: (() => number) | undefined;
      const store = await context.open({ clock: () => (broken ?? context.clock.now)() });
      await store.upsert(makeSession('s1', 'u1'), 60);
      await store.upsert(makeSession('s2', 'u1'), 60);

      broken = () => {
        throw new Error('the time source is down');
      };
      await store.delete('s1', 'u1');
      broken = () => Number.NaN;
      await store.delete('s2', 'u1');

      broken = undefined;
      await expectNoSession(store, 's1', 'u1', 'after delete() while the clock threw');
      await expectNoSession(store, 's2', 'u1', 'after delete() while the clock returned NaN');
    },
  },
  {
    id: 'contract.get-all.unknown-user-empty',
    category,
    title: 'getAll() of a user with no sessions resolves to an empty array',
    needs: ['getAll'],
    async run(context) {
      const store = await context.open();
      const getAll = requireMethod(store, 'getAll');

      const sessions = await getAll.call(store, 'nobody');
      assert(Array.isArray(sessions), `getAll() returned ${show(sessions)}, not an array.`);
      assertSame(sessions.length, 0, 'the number of sessions of an unknown user');
    },
  },
  {
    id: 'contract.delete-all.unknown-user',
    category,
    title: 'deleteAll() of a user with no sessions resolves',
    needs: ['deleteAll'],
    async run(context) {
      const store = await context.open();

      await requireMethod(store, 'deleteAll').call(store, 'nobody');
      await store.upsert(makeSession('s1', 'u1'), 60);
      await requireMethod(store, 'deleteAll').call(store, 'u1');
      await requireMethod(store, 'deleteAll').call(store, 'u1');
      await expectNoSession(store, 's1', 'u1', 'after deleteAll()');
    },
  },
  {
    id: 'contract.prune.empty-store',
    category,
    title: 'prune() on a store with nothing expired resolves to 0',
    needs: ['prune'],
    async run(context) {
      const store = await context.open();
      const prune = requireMethod(store, 'prune');

      assertSame(await prune.call(store), 0, 'prune() on an empty store');
      await store.upsert(makeSession('s1', 'u1'), 60);
      assertSame(await prune.call(store), 0, 'prune() with only live sessions');
      await expectSession(store, 's1', 'u1', makeSession('s1', 'u1'), 'after prune()');
    },
  },
  {
    id: 'contract.generic.any-fields',
    category,
    title: 'a session with only id and userId, or with fields of its own, is stored whole',
    async run(context) {
      const store = await context.open();
      const minimal = { id: 'minimal', userId: 'u1' };
      const custom = { id: 'custom', userId: 'u1', device: 'phone', scopes: ['a', 'b'] };

      await store.upsert(minimal, 60);
      await store.upsert(custom, 60);
      await expectSession(store, 'minimal', 'u1', minimal);
      await expectSession(store, 'custom', 'u1', custom);
      if (store.getAll === undefined) {
        return;
      }
      const listed = await store.getAll('u1');
      if (listed.length !== 2) {
        fail(`getAll() listed ${listed.length} sessions where 2 were stored.`);
      }
    },
  },
];

function isThenable(value: unknown): boolean {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

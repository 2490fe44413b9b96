import type { SessionStore, StoredSession, UserId } from '@sessionstore/core';
import { show } from '../assert.js';
import {
  expectListed,
  expectNoSession,
  expectSession,
  makeSession,
  requireMethod,
  type TestSession,
} from '../fixtures.js';
import type { ConformanceCase } from '../types.js';

const category = 'identity';

/**
 * Names of properties every plain object inherits: a store that keys users or sessions by a
 * plain object finds these already there.
 */
export const PROTOTYPE_NAMES: readonly string[] = Object.freeze([
  '__proto__',
  'constructor',
  'hasOwnProperty',
  'toString',
  'valueOf',
  'isPrototypeOf',
  'prototype',
]);

/**
 * User ids that are all different users but look alike to a store that builds keys by
 * concatenation, matches prefixes, passes ids through LIKE, a glob or a regular expression,
 * folds case, trims, or uses Redis hash tags.
 */
export const NEAR_COLLIDING_USER_IDS: readonly string[] = Object.freeze([
  'u1',
  'u10',
  'u1:x',
  'u1:',
  ':u1',
  '{u1}',
  '{u1',
  'u1}',
  '"u1"',
  "'u1'",
  'u%',
  'u_',
  'u*',
  'u?',
  'u1*',
  'u[1]',
  '%',
  '_',
  '*',
  'U1',
  'u1 ',
  ' u1',
  'u1\\',
  'u1/x',
  'u1|x',
  'u1.x',
  'user:u1',
  'sessionstore:u1',
  'sessionstore:{u1}:s',
  'u1\n',
  '😀',
  'u1😀',
  '\u00e9',
  'e\u0301',
  ...PROTOTYPE_NAMES,
]);

/** Separators a store might join a user id and a session id with. */
const JOIN_SEPARATORS: readonly string[] = [
  ':',
  '::',
  '|',
  '/',
  '.',
  '-',
  '_',
  ' ',
  '\t',
  '\n',
  '\u0001',
  '}{',
  '","',
  "','",
  '}:{',
];

async function storeForEachUser(
  store: SessionStore<StoredSession>,
  users: readonly UserId[],
  sessionId: string,
): Promise<Map<UserId, TestSession>> {
  const sessions = new Map<UserId, TestSession>();
  for (const [index, userId] of users.entries()) {
    const session = makeSession(sessionId, userId, { owner: index });
    await store.upsert(session, 600);
    sessions.set(userId, session);
  }
  return sessions;
}

export const identityCases: ConformanceCase[] = [
  {
    id: 'identity.other-user.get-null',
    category,
    title: 'get(id, otherUser) is null although id exists for another user',
    async run(context) {
      const store = await context.open();

      await store.upsert(makeSession('s1', 'u1'), 60);
      for (const other of ['u2', 'u10', 'u1:x', '{u1}', 'U1', 'u1 ', 'u']) {
        await expectNoSession(store, 's1', other);
      }
      await expectSession(store, 's1', 'u1', makeSession('s1', 'u1'));
    },
  },
  {
    id: 'identity.other-user.delete-no-effect',
    category,
    title: 'delete(id, otherUser) leaves the session of the user who owns it',
    async run(context) {
      const store = await context.open();
      const session = makeSession('s1', 'u1');

      await store.upsert(session, 60);
      for (const other of ['u2', 'u10', 'u1:x', '{u1}', 'U1', 'u%', 'u*']) {
        await store.delete('s1', other);
      }
      await expectSession(store, 's1', 'u1', session, 'after delete() by other users');
    },
  },
  {
    id: 'identity.near-colliding.get',
    category,
    title:
      'users with near-colliding ids (u1, u10, u1:x, {u1}, %, *, quotes, emoji) each get their own session of one id',
    async run(context) {
      const store = await context.open();

      const sessions = await storeForEachUser(store, NEAR_COLLIDING_USER_IDS, 'shared');
      for (const [userId, session] of sessions) {
        await expectSession(store, 'shared', userId, session);
      }
    },
  },
  {
    id: 'identity.near-colliding.get-all',
    category,
    title: "getAll() of each near-colliding user lists exactly that user's sessions",
    needs: ['getAll'],
    async run(context) {
      const store = await context.open();

      const shared = await storeForEachUser(store, NEAR_COLLIDING_USER_IDS, 'shared');
      const own = new Map<UserId, TestSession>();
      for (const [index, userId] of NEAR_COLLIDING_USER_IDS.entries()) {
        const session = makeSession(`own-${index}`, userId);
        await store.upsert(session, 600);
        own.set(userId, session);
      }

      for (const userId of NEAR_COLLIDING_USER_IDS) {
        await expectListed(store, userId, [shared.get(userId), own.get(userId)]);
      }
    },
  },
  {
    id: 'identity.near-colliding.delete',
    category,
    title: "delete() for one near-colliding user leaves every other user's session of that id",
    async run(context) {
      const store = await context.open();

      const sessions = await storeForEachUser(store, NEAR_COLLIDING_USER_IDS, 'shared');
      const deleted = new Set<UserId>();
      for (const userId of ['u1', '%', '*', 'u_', '{u1}', 'u1:x', 'e\u0301']) {
        await store.delete('shared', userId);
        deleted.add(userId);
        for (const [other, session] of sessions) {
          if (deleted.has(other)) {
            await expectNoSession(store, 'shared', other, `after delete() for ${show(userId)}`);
          } else {
            await expectSession(
              store,
              'shared',
              other,
              session,
              `after delete() for ${show(userId)}`,
            );
          }
        }
      }
    },
  },
  {
    id: 'identity.near-colliding.delete-all',
    category,
    title: "deleteAll() of one near-colliding user leaves every other user's sessions",
    needs: ['deleteAll'],
    async run(context) {
      const store = await context.open();
      const deleteAll = requireMethod(store, 'deleteAll');

      const sessions = await storeForEachUser(store, NEAR_COLLIDING_USER_IDS, 'shared');
      const deleted = new Set<UserId>();
      for (const userId of ['u1', 'u%', '%', 'u*', '*', 'u_', '_', '{u1}', 'u1:', 'e\u0301']) {
        await deleteAll.call(store, userId);
        deleted.add(userId);
        for (const [other, session] of sessions) {
          const when = `after deleteAll(${show(userId)})`;
          if (deleted.has(other)) {
            await expectNoSession(store, 'shared', other, when);
          } else {
            await expectSession(store, 'shared', other, session, when);
          }
        }
      }
    },
  },
  {
    id: 'identity.prototype-names.users-and-sessions',
    category,
    title:
      'users and sessions named __proto__, constructor, hasOwnProperty, toString and the like are ordinary for every method',
    async run(context) {
      const store = await context.open();
      const sessions: TestSession[] = [];
      for (const userId of PROTOTYPE_NAMES) {
        for (const sessionId of PROTOTYPE_NAMES) {
          const session = makeSession(sessionId, userId, { key: `${sessionId}|${userId}` });
          await store.upsert(session, 600);
          sessions.push(session);
        }
      }

      for (const session of sessions) {
        await expectSession(store, session.id, session.userId, session);
      }
      for (const userId of PROTOTYPE_NAMES) {
        const own = sessions.filter((session) => session.userId === userId);
        if (store.getAll) await expectListed(store, userId, own);
      }
      const [firstUser, secondUser] = PROTOTYPE_NAMES;
      await store.delete('constructor', firstUser ?? '');
      await expectNoSession(store, 'constructor', firstUser ?? '', 'after delete()');
      await expectSession(
        store,
        'constructor',
        secondUser ?? '',
        sessions.find((item) => item.id === 'constructor' && item.userId === secondUser),
        `after delete("constructor", ${show(firstUser)})`,
      );
      if (store.deleteAll) {
        await store.deleteAll('toString');
        for (const session of sessions) {
          if (session.userId === 'toString') {
            await expectNoSession(store, session.id, 'toString', 'after deleteAll("toString")');
          } else if (session.userId !== firstUser || session.id !== 'constructor') {
            await expectSession(
              store,
              session.id,
              session.userId,
              session,
              'after deleteAll("toString")',
            );
          }
        }
      }
    },
  },
  {
    id: 'identity.joined-keys.distinct',
    category,
    title:
      'user "a:b" with session "c" and user "a" with session "b:c" are different sessions, for any separator',
    async run(context) {
      const store = await context.open();

      for (const separator of JOIN_SEPARATORS) {
        const left = makeSession('c', `a${separator}b`, { side: 'left' });
        const right = makeSession(`b${separator}c`, 'a', { side: 'right' });
        await store.upsert(left, 600);
        await store.upsert(right, 600);
        await expectSession(store, 'c', `a${separator}b`, left);
        await expectSession(store, `b${separator}c`, 'a', right);
        await expectNoSession(store, `b${separator}c`, `a${separator}b`);
        await expectNoSession(store, 'c', 'a');
      }
    },
  },
  {
    id: 'identity.joined-keys.listed-apart',
    category,
    title:
      'getAll() and deleteAll() of user "a" never reach the sessions of user "a:b" and the like',
    needs: ['getAll', 'deleteAll'],
    async run(context) {
      const store = await context.open();
      const deleteAll = requireMethod(store, 'deleteAll');

      const others: TestSession[] = [];
      const own: TestSession[] = [];
      for (const separator of JOIN_SEPARATORS) {
        const other = makeSession('c', `a${separator}b`);
        const mine = makeSession(`b${separator}c`, 'a');
        await store.upsert(other, 600);
        await store.upsert(mine, 600);
        others.push(other);
        own.push(mine);
      }

      await expectListed(store, 'a', own);
      await deleteAll.call(store, 'a');
      await expectListed(store, 'a', [], 'after deleteAll("a")');
      for (const other of others) {
        await expectSession(store, 'c', other.userId, other, 'after deleteAll("a")');
      }
    },
  },
  {
    id: 'identity.exact-match.case-space-normalisation',
    category,
    title: 'ids are compared exactly: case, surrounding spaces and Unicode normalisation all count',
    async run(context) {
      const store = await context.open();
      const variants = ['abc', 'ABC', 'Abc', 'abc ', ' abc', '\u00e9', 'e\u0301', 'ß', 'ss'];

      for (const sessionId of variants) {
        for (const userId of variants) {
          await store.upsert(
            makeSession(sessionId, userId, { key: `${sessionId}|${userId}` }),
            600,
          );
        }
      }
      for (const sessionId of variants) {
        for (const userId of variants) {
          const expected = makeSession(sessionId, userId, { key: `${sessionId}|${userId}` });
          await expectSession(store, sessionId, userId, expected);
        }
      }
    },
  },
];

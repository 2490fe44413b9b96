import type { SessionStore, StoredSession, UserId } from '@sessionstore/core';
import { assertRejects } from '../assert.js';
import { expectListed, expectSession, makeSession, type TestSession } from '../fixtures.js';
import type { CaseContext, ConformanceCase, ConformanceNeed } from '../types.js';

const category = 'bad-input';

type Labelled = readonly [label: string, value: unknown];

/** Strings no id may be: empty, too long, with U+0000, not well-formed. */
const BAD_ID_STRINGS: readonly Labelled[] = [
  ['the empty string', ''],
  ['a string of 513 bytes', 's'.repeat(513)],
  ['a string of 513 bytes in two-byte characters', `${'é'.repeat(256)}x`],
  ['a string of 514 bytes in four-byte characters', `${'😀'.repeat(128)}xx`],
  ['a string with U+0000', 's1\u0000'],
  ['U+0000 alone', '\u0000'],
  ['a lone high surrogate', '\ud800'],
  ['a string ending in a lone high surrogate', 's1\ud83d'],
  ['a lone low surrogate', 's\udc00'],
  ['reversed surrogates', '\udc00\ud800'],
];

/** Values of other types than a string. */
const NON_STRINGS: readonly Labelled[] = [
  ['null', null],
  ['undefined', undefined],
  ['an object', {}],
  ['an array', ['s1']],
  ['true', true],
  ['a symbol', Symbol('s1')],
  ['a function', () => 's1'],
  ['a String object', Object('s1')],
  ['a Date', new Date(0)],
];

/** Everything a session id cannot be. */
export const BAD_SESSION_IDS: readonly Labelled[] = [
  ...BAD_ID_STRINGS,
  ...NON_STRINGS,
  ['a number', 1],
  ['a bigint', 1n],
];

/** Everything a user id cannot be. */
export const BAD_USER_IDS: readonly Labelled[] = [
  ...BAD_ID_STRINGS,
  ...NON_STRINGS,
  ['1.5', 1.5],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
  ['2^53 (an unsafe integer)', 2 ** 53],
  ['-(2^53)', -(2 ** 53)],
  ['1e21', 1e21],
  ['a boxed number', Object(123)],
];

/** Everything `session.lockVersion` cannot be. */
export const BAD_LOCK_VERSIONS: readonly Labelled[] = [
  ['-1', -1],
  ['1.5', 1.5],
  ['"1"', '1'],
  ['"0"', '0'],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['null', null],
  ['true', true],
  ['1n', 1n],
  ['2^53', 2 ** 53],
  ['an object', { valueOf: () => 1 }],
];

class SessionLike {
  id = 's1';
  userId = 'u1';
}

/** Values that are not a plain session object, or lack what one needs. */
export const BAD_SESSIONS: readonly Labelled[] = [
  ['null', null],
  ['undefined', undefined],
  ['a string', 's1'],
  ['a number', 1],
  ['an array', [makeSession('s1', 'u1')]],
  ['a class instance with id and userId', new SessionLike()],
  ['an object inheriting id and userId', Object.create(makeSession('s1', 'u1'))],
  [
    'a Map',
    new Map<string, unknown>([
      ['id', 's1'],
      ['userId', 'u1'],
    ]),
  ],
  ['a Date', new Date(0)],
  ['a function', () => makeSession('s1', 'u1')],
  ['an object without an id', { userId: 'u1' }],
  ['an object without a userId', { id: 's1' }],
  ['an empty object', {}],
];

const SEEDED_USERS: readonly UserId[] = ['u1', 123, 'u10'];

/** Stores a known state: two sessions for each of three users, one of them locked. */
async function seed(store: SessionStore<StoredSession>): Promise<TestSession[]> {
  const stored: TestSession[] = [];
  for (const userId of SEEDED_USERS) {
    await store.upsert(makeSession('s1', userId, { lockVersion: 0 }), 600);
    stored.push(makeSession('s1', userId, { lockVersion: 1 }));
    const plain = makeSession('s2', userId);
    await store.upsert(plain, 600);
    stored.push(plain);
  }
  return stored;
}

/** Fails unless the store holds exactly what {@link seed} stored. */
async function expectSeeded(
  store: SessionStore<StoredSession>,
  stored: readonly TestSession[],
): Promise<void> {
  for (const session of stored) {
    await expectSession(store, session.id, session.userId, session, 'after the rejected calls');
  }
  if (store.getAll) {
    for (const userId of SEEDED_USERS) {
      const own = stored.filter((session) => session.userId === userId);
      await expectListed(store, userId, own, 'after the rejected calls');
    }
  }
}

/**
 * A case that seeds the store, makes one rejected call per bad value, and checks nothing
 * stored changed.
 */
function badInputCase(
  id: string,
  title: string,
  values: readonly Labelled[],
  call: (store: SessionStore<StoredSession>, value: unknown) => [string, () => unknown],
  needs: readonly ConformanceNeed[] = [],
): ConformanceCase {
  return {
    id,
    category,
    title,
    needs,
    async run(context: CaseContext) {
      const store = await context.open();
      const stored = await seed(store);

      for (const [label, value] of values) {
        const [what, action] = call(store, value);
        await assertRejects(action, 'INVALID_ARGUMENT', `${what} with ${label}`);
      }
      await expectSeeded(store, stored);
    },
  };
}

export const badInputCases: ConformanceCase[] = [
  badInputCase(
    'bad-input.get.session-id',
    'get() with a session id that is not 1 to 512 bytes of well-formed text without U+0000 rejects INVALID_ARGUMENT',
    BAD_SESSION_IDS,
    (store, value) => ['get(sessionId, "u1")', () => store.get(value as string, 'u1')],
  ),
  badInputCase(
    'bad-input.get.user-id',
    'get() with a user id that is no valid string, safe integer or bigint rejects INVALID_ARGUMENT',
    BAD_USER_IDS,
    (store, value) => ['get("s1", userId)', () => store.get('s1', value as UserId)],
  ),
  badInputCase(
    'bad-input.upsert.session',
    'upsert() with something other than a plain session object rejects INVALID_ARGUMENT',
    BAD_SESSIONS,
    (store, value) => ['upsert(session, 60)', () => store.upsert(value as StoredSession, 60)],
  ),
  badInputCase(
    'bad-input.upsert.session-id',
    'upsert() of a session whose id is invalid rejects INVALID_ARGUMENT and stores nothing',
    BAD_SESSION_IDS,
    (store, value) => [
      'upsert({ id, userId: "u1" }, 60)',
      () => store.upsert({ ...makeSession('s1', 'u1'), id: value as string }, 60),
    ],
  ),
  badInputCase(
    'bad-input.upsert.user-id',
    'upsert() of a session whose userId is invalid rejects INVALID_ARGUMENT and stores nothing',
    BAD_USER_IDS,
    (store, value) => [
      'upsert({ id: "s1", userId }, 60)',
      () => store.upsert({ ...makeSession('s1', 'u1'), userId: value as UserId }, 60),
    ],
  ),
  badInputCase(
    'bad-input.upsert.lock-version',
    'upsert() with lockVersion -1, 1.5, "1", NaN, null and the like rejects INVALID_ARGUMENT and writes nothing',
    BAD_LOCK_VERSIONS,
    (store, value) => [
      'upsert({ id: "s1", userId: "u1", lockVersion }, 60)',
      () => store.upsert(makeSession('s1', 'u1', { lockVersion: value, round: 'bad' }), 60),
    ],
  ),
  badInputCase(
    'bad-input.delete.session-id',
    'delete() with an invalid session id rejects INVALID_ARGUMENT and deletes nothing',
    BAD_SESSION_IDS,
    (store, value) => ['delete(sessionId, "u1")', () => store.delete(value as string, 'u1')],
  ),
  badInputCase(
    'bad-input.delete.user-id',
    'delete() with an invalid user id rejects INVALID_ARGUMENT and deletes nothing',
    BAD_USER_IDS,
    (store, value) => ['delete("s1", userId)', () => store.delete('s1', value as UserId)],
  ),
  badInputCase(
    'bad-input.get-all.user-id',
    'getAll() with an invalid user id rejects INVALID_ARGUMENT',
    BAD_USER_IDS,
    (store, value) => ['getAll(userId)', () => store.getAll?.(value as UserId)],
    ['getAll'],
  ),
  badInputCase(
    'bad-input.delete-all.user-id',
    'deleteAll() with an invalid user id rejects INVALID_ARGUMENT and deletes nothing',
    BAD_USER_IDS,
    (store, value) => ['deleteAll(userId)', () => store.deleteAll?.(value as UserId)],
    ['deleteAll'],
  ),
];

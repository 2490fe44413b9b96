import type { SessionStore, StoredSession, UserId } from '@sessionstore/core';
import {
  assert,
  assertRejects,
  assertSame,
  describeError,
  fail,
  findDifference,
  isSessionStoreError,
  show,
} from '../assert.js';
import {
  expectListed,
  expectNoSession,
  expectSession,
  makeSession,
  requireMethod,
  SeededRandom,
  storedCopyOf,
  type TestSession,
} from '../fixtures.js';
import { ReferenceModel } from '../model.js';
import type { CaseContext, ConformanceCase } from '../types.js';

const category = 'concurrency';

/** Splits settled results into fulfilled ones and CONFLICT rejections; fails on anything else. */
function countOutcomes(results: PromiseSettledResult<unknown>[], what: string): number {
  let wins = 0;
  for (const result of results) {
    if (result.status === 'fulfilled') {
      wins++;
      continue;
    }
    const error = result.reason;
    if (!isSessionStoreError(error) || error.code !== 'CONFLICT') {
      fail(`${what}: a loser rejected with ${describeError(error)} instead of CONFLICT.`);
    }
  }
  return wins;
}

/** How many sessions of one user the many-sessions cases write: far beyond any small cap. */
const MANY_SESSIONS = 300;

/** Writes {@link MANY_SESSIONS} sessions of user u1, 50 at a time, oldest first. */
async function upsertMany(store: SessionStore<StoredSession>): Promise<TestSession[]> {
  const sessions = Array.from({ length: MANY_SESSIONS }, (_, index) =>
    makeSession(`s${index}`, 'u1', { index }),
  );
  for (let start = 0; start < sessions.length; start += 50) {
    const batch = sessions.slice(start, start + 50);
    await Promise.all(batch.map((session) => store.upsert(session, 600)));
  }
  return sessions;
}

function winnerOf(results: PromiseSettledResult<unknown>[]): number {
  return results.findIndex((result) => result.status === 'fulfilled');
}

export const concurrencyCases: ConformanceCase[] = [
  {
    id: 'concurrency.parallel-upserts.listed',
    category,
    title: '50 parallel upserts of different sessions of one user are all listed by getAll()',
    needs: ['getAll'],
    async run(context) {
      const store = await context.open();
      const sessions = Array.from({ length: 50 }, (_, index) => makeSession(`s${index}`, 'u1'));

      await Promise.all(sessions.map((session) => store.upsert(session, 600)));
      await expectListed(store, 'u1', sessions, 'after 50 parallel upserts');
    },
  },
  {
    id: 'concurrency.parallel-upserts.readable',
    category,
    title: '50 parallel upserts of different sessions of one user can each be read by get()',
    async run(context) {
      const store = await context.open();
      const sessions = Array.from({ length: 50 }, (_, index) => makeSession(`s${index}`, 'u1'));

      await Promise.all(sessions.map((session) => store.upsert(session, 600)));
      for (const session of sessions) {
        await expectSession(store, session.id, 'u1', session, 'after 50 parallel upserts');
      }
    },
  },
  {
    id: 'concurrency.many-sessions.readable',
    category,
    title: `${MANY_SESSIONS} live sessions of one user can each be read by get(); none is evicted`,
    async run(context) {
      const store = await context.open();
      const sessions = await upsertMany(store);

      for (const session of sessions) {
        await expectSession(store, session.id, 'u1', session, `among ${MANY_SESSIONS} sessions`);
      }
    },
  },
  {
    id: 'concurrency.many-sessions.listed',
    category,
    title: `${MANY_SESSIONS} live sessions of one user are all listed by getAll()`,
    needs: ['getAll'],
    async run(context) {
      const store = await context.open();
      const sessions = await upsertMany(store);

      await expectListed(store, 'u1', sessions, `after ${MANY_SESSIONS} upserts`);
    },
  },
  {
    id: 'concurrency.parallel-upserts.many-users',
    category,
    title: 'parallel upserts across near-colliding users each land with their own user',
    needs: ['getAll'],
    async run(context) {
      const store = await context.open();
      const users = ['u1', 'u10', 'u1:x', '{u1}', 'u%', 'u*', 42, '😀'];
      const byUser = new Map<UserId, TestSession[]>(
        users.map((userId) => [
          userId,
          Array.from({ length: 8 }, (_, index) => makeSession(`s${index}`, userId, { userId })),
        ]),
      );

      await Promise.all([...byUser.values()].flat().map((session) => store.upsert(session, 600)));
      for (const [userId, sessions] of byUser) {
        await expectListed(store, userId, sessions, 'after parallel upserts of many users');
      }
    },
  },
  {
    id: 'concurrency.compare-and-set.one-winner',
    category,
    title:
      'of 20 parallel upserts with the same lockVersion exactly one wins, the others reject CONFLICT',
    async run(context) {
      const store = await context.open();
      await store.upsert(makeSession('s1', 'u1', { lockVersion: 0 }), 600);

      const attempts = Array.from({ length: 20 }, (_, index) =>
        makeSession('s1', 'u1', { lockVersion: 1, writer: index }),
      );
      const results = await Promise.allSettled(
        attempts.map((session) => store.upsert(session, 600)),
      );
      const wins = countOutcomes(results, '20 parallel compare-and-sets');

      assertSame(wins, 1, 'the number of compare-and-sets that succeeded');
      await expectSession(
        store,
        's1',
        'u1',
        makeSession('s1', 'u1', { lockVersion: 2, writer: winnerOf(results) }),
        "after the race (the winner's session at lockVersion 2)",
      );
    },
  },
  {
    id: 'concurrency.compare-and-set.create-one-winner',
    category,
    title: 'of 20 parallel creates with lockVersion 0 exactly one wins',
    async run(context) {
      const store = await context.open();
      const attempts = Array.from({ length: 20 }, (_, index) =>
        makeSession('s1', 'u1', { lockVersion: 0, writer: index }),
      );

      const results = await Promise.allSettled(
        attempts.map((session) => store.upsert(session, 600)),
      );
      assertSame(
        countOutcomes(results, '20 parallel creates'),
        1,
        'the number of creates that won',
      );
      await expectSession(
        store,
        's1',
        'u1',
        makeSession('s1', 'u1', { lockVersion: 1, writer: winnerOf(results) }),
        'after the race',
      );
    },
  },
  {
    id: 'concurrency.compare-and-set.rounds',
    category,
    title:
      'five rounds of 10 parallel compare-and-sets each have one winner; the version climbs by one a round',
    async run(context) {
      const store = await context.open();
      await store.upsert(makeSession('s1', 'u1', { lockVersion: 0 }), 600);

      for (let version = 1; version <= 5; version++) {
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, (_, index) =>
            store.upsert(makeSession('s1', 'u1', { lockVersion: version, writer: index }), 600),
          ),
        );
        assertSame(
          countOutcomes(results, `round ${version}`),
          1,
          `the winners of round ${version}`,
        );
      }
      const stored = await store.get('s1', 'u1');
      assertSame(stored?.lockVersion, 6, 'the lockVersion after five rounds');
    },
  },
  {
    id: 'concurrency.siblings.read-each-others-writes',
    category,
    title:
      'two instances over the same data read what the other wrote, updated or deleted, at once',
    needs: ['hooks.openSibling'],
    async run(context) {
      const first = await context.open();
      const second = await context.openSibling(first);
      const session = makeSession('s1', 'u1', { lockVersion: 0 });

      await first.upsert(session, 600);
      await expectSession(second, 's1', 'u1', storedCopyOf(session), 'through the sibling');
      const update = makeSession('s1', 'u1', { lockVersion: 1, round: 2 });
      await second.upsert(update, 600);
      await expectSession(first, 's1', 'u1', storedCopyOf(update), 'after the sibling updated it');
      await assertRejects(
        () => first.upsert(makeSession('s1', 'u1', { lockVersion: 1, round: 3 }), 600),
        'CONFLICT',
        'a compare-and-set with the version the sibling already used',
      );
      await first.upsert(makeSession('s2', 'u1'), 600);
      await second.delete('s1', 'u1');
      await expectNoSession(first, 's1', 'u1', 'after the sibling deleted it');
      await expectSession(
        first,
        's2',
        'u1',
        makeSession('s2', 'u1'),
        'after the sibling deleted s1',
      );
    },
  },
  {
    id: 'concurrency.siblings.compare-and-set.one-winner',
    category,
    title:
      'five rounds of 20 parallel compare-and-sets split across two instances each have one winner',
    needs: ['hooks.openSibling'],
    async run(context) {
      const first = await context.open();
      const second = await context.openSibling(first);
      const stores = [first, second];
      await first.upsert(makeSession('s1', 'u1', { lockVersion: 0 }), 600);

      for (let version = 1; version <= 5; version++) {
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, index) =>
            stores[index % 2]?.upsert(
              makeSession('s1', 'u1', { lockVersion: version, writer: index }),
              600,
            ),
          ),
        );
        const what = `round ${version} of compare-and-sets split across two instances`;
        assertSame(countOutcomes(results, what), 1, `the winners of ${what}`);
        const winner = makeSession('s1', 'u1', {
          lockVersion: version + 1,
          writer: winnerOf(results),
        });
        await expectSession(first, 's1', 'u1', winner, `after ${what}`);
        await expectSession(second, 's1', 'u1', winner, `after ${what}, through the sibling`);
      }
    },
  },
  {
    id: 'concurrency.siblings.create-one-winner',
    category,
    title: 'of 20 parallel creates with lockVersion 0 split across two instances exactly one wins',
    needs: ['hooks.openSibling'],
    async run(context) {
      const first = await context.open();
      const second = await context.openSibling(first);
      const stores = [first, second];

      for (let round = 0; round < 5; round++) {
        const id = `s${round}`;
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, index) =>
            stores[index % 2]?.upsert(
              makeSession(id, 'u1', { lockVersion: 0, writer: index }),
              600,
            ),
          ),
        );
        const what = `round ${round} of creates split across two instances`;
        assertSame(countOutcomes(results, what), 1, `the winners of ${what}`);
        await expectSession(
          second,
          id,
          'u1',
          makeSession(id, 'u1', { lockVersion: 1, writer: winnerOf(results) }),
          `after ${what}`,
        );
      }
    },
  },
  {
    id: 'concurrency.siblings.delete-all',
    category,
    title:
      'deleteAll() through one instance removes the sessions written through the other, for both',
    needs: ['hooks.openSibling', 'deleteAll', 'getAll'],
    async run(context) {
      const first = await context.open();
      const second = await context.openSibling(first);
      const mine = Array.from({ length: 10 }, (_, index) => makeSession(`s${index}`, 'u1'));
      const other = makeSession('s0', 'u10');

      await Promise.all(
        mine.map((session, index) => (index % 2 === 0 ? second : first).upsert(session, 600)),
      );
      await second.upsert(other, 600);
      await expectListed(first, 'u1', mine, 'of sessions written through two instances');
      await requireMethod(first, 'deleteAll').call(first, 'u1');
      for (const store of [first, second]) {
        const which = store === first ? 'this instance' : 'the sibling';
        await expectListed(store, 'u1', [], `through ${which} after deleteAll()`);
        for (const session of mine) {
          await expectNoSession(store, session.id, 'u1', `through ${which} after deleteAll()`);
        }
        await expectSession(store, 's0', 'u10', other, `through ${which} after deleteAll("u1")`);
      }
    },
  },
  {
    id: 'concurrency.delete-all.earlier-upserts',
    category,
    title:
      'after deleteAll() resolves, no session whose upsert resolved before the call is readable',
    needs: ['deleteAll', 'getAll'],
    async run(context) {
      const store = await context.open();
      const deleteAll = requireMethod(store, 'deleteAll');

      for (let round = 0; round < 5; round++) {
        const earlier = Array.from({ length: 20 }, (_, index) =>
          makeSession(`e${round}-${index}`, 'u1'),
        );
        const later = Array.from({ length: 20 }, (_, index) =>
          makeSession(`l${round}-${index}`, 'u1'),
        );
        await Promise.all(earlier.map((session) => store.upsert(session, 600)));

        const deleting = deleteAll.call(store, 'u1');
        const racing = later.map((session) => store.upsert(session, 600));
        await deleting;
        for (const session of earlier) {
          await expectNoSession(store, session.id, 'u1', `after deleteAll() (round ${round})`);
        }
        await Promise.all(racing);
        await expectConsistent(store, 'u1', [...earlier, ...later]);
        await deleteAll.call(store, 'u1');
      }
    },
  },
  {
    id: 'concurrency.mixed.get-matches-get-all',
    category,
    title:
      'after parallel upserts, deletes and compare-and-sets, getAll() lists exactly what get() can read',
    needs: ['getAll'],
    async run(context) {
      const store = await context.open();
      const sessions = Array.from({ length: 30 }, (_, index) => makeSession(`s${index}`, 'u1'));
      await Promise.all(sessions.slice(0, 15).map((session) => store.upsert(session, 600)));

      await Promise.allSettled([
        ...sessions.slice(15).map((session) => store.upsert(session, 600)),
        ...sessions.slice(0, 10).map((session) => store.delete(session.id, 'u1')),
        ...sessions.map((session) => store.upsert({ ...session, lockVersion: 0 }, 600)),
      ]);
      await expectConsistent(store, 'u1', sessions);
    },
  },
  {
    id: 'concurrency.random-mix.model',
    category,
    title:
      'a seeded random mix of operations, some in parallel, matches a reference model step by step',
    async run(context) {
      await runRandomMix(context, 400);
    },
  },
];

/** Fails unless every candidate `get()` can read is listed by `getAll()`, and nothing else is. */
async function expectConsistent(
  store: SessionStore<StoredSession>,
  userId: UserId,
  candidates: readonly TestSession[],
): Promise<void> {
  const readable: StoredSession[] = [];
  for (const candidate of candidates) {
    const session = await store.get(candidate.id, userId);
    if (session !== null) readable.push(session);
  }
  await expectListed(store, userId, readable, '(compared with what get() reads)');
}

const MIX_USERS: readonly UserId[] = ['u1', 'u10', 'u1:x', '{u1}', '%', 7, 7n, '7'];
const MIX_SESSION_IDS = ['s1', 's2', 's:1', '%', 'S1'] as const;
const MIX_TTLS = [1, 2, 5, 30] as const;
const MIX_STEPS_MS = [1, 499, 999, 1_000, 1_001, 5_000] as const;

interface MixOperation {
  describe: string;
  userKey: string | undefined;
  /** Runs the call on the store and checks it against the model; returns a failure or null. */
  check(store: SessionStore<StoredSession>, model: ReferenceModel): Promise<string | null>;
}

async function runRandomMix(context: CaseContext, steps: number): Promise<void> {
  const random = new SeededRandom(context.seed);
  const store = await context.open();
  const model = new ReferenceModel(context.clock.now);
  const history: string[] = [];
  context.note(`seed ${context.seed} (set SESSIONSTORE_CONFORMANCE_SEED or --seed to repeat it)`);

  let done = 0;
  while (done < steps) {
    const batch = nextBatch(random, store, context, model);
    history.push(batch.map((operation) => operation.describe).join(' ‖ '));
    const failures = await Promise.all(batch.map((operation) => operation.check(store, model)));
    const failure = failures.find((item) => item !== null);
    if (failure !== undefined && failure !== null) {
      fail(
        `The store diverged from the model at step ${history.length} (seed ${context.seed}): ` +
          `${failure}\nLast steps:\n  ${history.slice(-15).join('\n  ')}`,
      );
    }
    done += batch.length;
  }
}

function nextBatch(
  random: SeededRandom,
  store: SessionStore<StoredSession>,
  context: CaseContext,
  model: ReferenceModel,
): MixOperation[] {
  const roll = random.next();
  if (roll < 0.08) {
    const step = random.pick(MIX_STEPS_MS);
    return [clockOperation(step, context)];
  }
  if (roll < 0.12 && store.prune) {
    return [pruneOperation()];
  }

  // Parallel operations touch different users, so their outcome is the same in any order.
  const size = 1 + random.below(4);
  const batch: MixOperation[] = [];
  const users = new Set<string>();
  for (let attempt = 0; attempt < size * 3 && batch.length < size; attempt++) {
    const userId = random.pick(MIX_USERS);
    const userKey = ReferenceModel.userKey(userId);
    if (users.has(userKey)) continue;
    users.add(userKey);
    batch.push(userOperation(random, store, model, userId));
  }
  return batch;
}

function userOperation(
  random: SeededRandom,
  store: SessionStore<StoredSession>,
  model: ReferenceModel,
  userId: UserId,
): MixOperation {
  const sessionId = random.pick(MIX_SESSION_IDS);
  const roll = random.next();
  if (roll < 0.25) return getOperation(sessionId, userId);
  if (roll < 0.5) {
    const lockVersion = chooseLockVersion(random, model.lockVersionOf(sessionId, userId));
    const session = makeSession(sessionId, userId, {
      mark: random.below(1_000_000),
      ...(lockVersion === undefined ? {} : { lockVersion }),
    });
    return upsertOperation(session, random.pick(MIX_TTLS));
  }
  if (roll < 0.65) return deleteOperation(sessionId, userId);
  if (roll < 0.85 && store.getAll) return getAllOperation(userId);
  if (store.deleteAll) return deleteAllOperation(userId);
  return getOperation(sessionId, userId);
}

function chooseLockVersion(
  random: SeededRandom,
  current: number | null | undefined,
): number | undefined {
  const roll = random.next();
  if (roll < 0.35) return undefined;
  if (roll < 0.55) return 0;
  if (roll < 0.85 && typeof current === 'number') return current;
  return 1 + random.below(4);
}

function clockOperation(step: number, context: CaseContext): MixOperation {
  return {
    describe: `clock +${step} ms`,
    userKey: undefined,
    async check() {
      context.clock.advance(step);
      return null;
    },
  };
}

function getOperation(sessionId: string, userId: UserId): MixOperation {
  const describe = `get(${show(sessionId)}, ${show(userId)})`;
  return {
    describe,
    userKey: ReferenceModel.userKey(userId),
    async check(store, model) {
      const expected = model.get(sessionId, userId);
      const actual = await store.get(sessionId, userId);
      if (expected === null) {
        return actual === null
          ? null
          : `${describe} returned ${show(actual)} where null was expected`;
      }
      const difference = findDifference(actual, expected);
      return difference === null ? null : `${describe}: ${difference}`;
    },
  };
}

function upsertOperation(session: TestSession, ttlSeconds: number): MixOperation {
  const lock = session.lockVersion === undefined ? '' : `, lockVersion ${session.lockVersion}`;
  const describe = `upsert(${show(session.id)}, ${show(session.userId)}${lock}, ttl ${ttlSeconds})`;
  return {
    describe,
    userKey: ReferenceModel.userKey(session.userId),
    async check(store, model) {
      const expected = model.upsert(session, ttlSeconds);
      try {
        await store.upsert(session, ttlSeconds);
        return expected === 'written' ? null : `${describe} resolved where CONFLICT was expected`;
      } catch (error) {
        const conflict = isSessionStoreError(error) && error.code === 'CONFLICT';
        if (conflict && expected === 'CONFLICT') return null;
        return `${describe} rejected with ${describeError(error)} where ${expected} was expected`;
      }
    },
  };
}

function deleteOperation(sessionId: string, userId: UserId): MixOperation {
  return {
    describe: `delete(${show(sessionId)}, ${show(userId)})`,
    userKey: ReferenceModel.userKey(userId),
    async check(store, model) {
      model.delete(sessionId, userId);
      await store.delete(sessionId, userId);
      return null;
    },
  };
}

function getAllOperation(userId: UserId): MixOperation {
  const describe = `getAll(${show(userId)})`;
  return {
    describe,
    userKey: ReferenceModel.userKey(userId),
    async check(store, model) {
      const expected = model.getAll(userId);
      const actual = (await store.getAll?.(userId)) ?? [];
      const byId = (list: readonly StoredSession[]) =>
        [...list].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const difference = findDifference(byId(actual), byId(expected));
      return difference === null ? null : `${describe}: ${difference}`;
    },
  };
}

function deleteAllOperation(userId: UserId): MixOperation {
  return {
    describe: `deleteAll(${show(userId)})`,
    userKey: ReferenceModel.userKey(userId),
    async check(store, model) {
      model.deleteAll(userId);
      await store.deleteAll?.(userId);
      return null;
    },
  };
}

function pruneOperation(): MixOperation {
  return {
    describe: 'prune()',
    userKey: undefined,
    async check(store, model) {
      const expired = model.prune();
      const removed = await store.prune?.();
      // A store may clean some expired entries up on its own before prune() (key expiry,
      // a write that tidies its user's index), so prune() may count fewer, never more.
      assert(typeof removed === 'number', `prune() resolved to ${show(removed)}, not a number`);
      return removed >= 0 && removed <= expired
        ? null
        : `prune() counted ${removed} where at most ${expired} sessions had expired`;
    },
  };
}

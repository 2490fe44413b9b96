import type { SessionStore, StoredSession } from '@sessionstore/core';
import {
  expectListed,
  expectNoSession,
  expectSession,
  makeSession,
  type TestSession,
} from '../fixtures.js';
import type { ConformanceCase } from '../types.js';

const category = 'session-ids';

/** Session ids that are ordinary to the contract and special to some backend or language. */
export const METACHARACTER_SESSION_IDS: readonly string[] = Object.freeze([
  'a:b',
  'a::b',
  '{a}',
  '{',
  '}',
  "'",
  '"',
  '`',
  "it's",
  '%',
  '_',
  '%_',
  'a%',
  '*',
  '?',
  '[a-z]',
  '.*',
  '^$',
  '\\',
  '\\\\',
  '/',
  '|',
  ' ',
  'a b',
  '\t',
  '\n',
  '\r\n',
  "'; DROP TABLE sessions; --",
  '" OR "1"="1',
  '$where',
  '$ne',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  'toString',
  'NULL',
  'null',
  'undefined',
  '0',
  '-1',
  '1e3',
  '\u007f',
  '\u0001',
]);

/** Session ids made of characters beyond ASCII. */
const MULTIBYTE_SESSION_IDS: readonly string[] = [
  'é',
  'e\u0301',
  '日本語',
  '😀',
  '👩‍👩‍👧',
  'שלום',
  'مرحبا',
  '\u200b',
  '\ufeff',
  '\u{10ffff}',
  '\ufffd',
];

async function storeAll(
  store: SessionStore<StoredSession>,
  ids: readonly string[],
  userId: string,
): Promise<TestSession[]> {
  const sessions: TestSession[] = [];
  for (const [index, id] of ids.entries()) {
    const session = makeSession(id, userId, { index });
    await store.upsert(session, 600);
    sessions.push(session);
  }
  return sessions;
}

export const sessionIdCases: ConformanceCase[] = [
  {
    id: 'session-ids.metacharacters.round-trip',
    category,
    title:
      'ids with colons, braces, quotes, %, _, *, SQL and glob metacharacters round-trip as ordinary text',
    async run(context) {
      const store = await context.open();

      const sessions = await storeAll(store, METACHARACTER_SESSION_IDS, 'u1');
      for (const session of sessions) {
        await expectSession(store, session.id, 'u1', session);
      }
      if (store.getAll) {
        await expectListed(store, 'u1', sessions);
      }
    },
  },
  {
    id: 'session-ids.metacharacters.delete-exact',
    category,
    title:
      'delete("%"), delete("*"), delete("_") and the like remove only the session with that exact id',
    async run(context) {
      const store = await context.open();

      const sessions = await storeAll(store, METACHARACTER_SESSION_IDS, 'u1');
      const removed = new Set(['%', '*', '_', '.*', '?', '[a-z]', "'; DROP TABLE sessions; --"]);
      for (const id of removed) {
        await store.delete(id, 'u1');
      }
      for (const session of sessions) {
        if (removed.has(session.id)) {
          await expectNoSession(store, session.id, 'u1', 'after its delete()');
        } else {
          await expectSession(store, session.id, 'u1', session, 'after deletes of other ids');
        }
      }
    },
  },
  {
    id: 'session-ids.prefixes.distinct',
    category,
    title:
      'ids that are prefixes of one another ("a", "ab", "a:") are distinct, and delete("a") keeps "ab"',
    async run(context) {
      const store = await context.open();

      const sessions = await storeAll(store, ['a', 'ab', 'a:', 'a:b', 'A'], 'u1');
      await store.delete('a', 'u1');
      await expectNoSession(store, 'a', 'u1', 'after delete("a")');
      for (const session of sessions.slice(1)) {
        await expectSession(store, session.id, 'u1', session, 'after delete("a")');
      }
    },
  },
  {
    id: 'session-ids.multibyte.round-trip',
    category,
    title: 'multi-byte ids (accents, CJK, emoji, RTL, zero-width) round-trip and stay distinct',
    async run(context) {
      const store = await context.open();

      const sessions = await storeAll(store, MULTIBYTE_SESSION_IDS, 'u1');
      for (const session of sessions) {
        await expectSession(store, session.id, 'u1', session);
      }
      if (store.getAll) {
        await expectListed(store, 'u1', sessions);
      }
    },
  },
  {
    id: 'session-ids.length.512-bytes',
    category,
    title:
      'ids of exactly 512 UTF-8 bytes, in one-, two-, three- and four-byte characters, are accepted',
    async run(context) {
      const store = await context.open();
      const ids = [
        's'.repeat(512),
        'é'.repeat(256),
        `${'日'.repeat(170)}ab`,
        '😀'.repeat(128),
        `${'s'.repeat(511)}x`,
      ];

      const sessions = await storeAll(store, ids, 'u1');
      for (const session of sessions) {
        await expectSession(store, session.id, 'u1', session);
      }
      if (store.getAll) {
        await expectListed(store, 'u1', sessions);
      }
    },
  },
  {
    id: 'session-ids.length.long-ids-distinct',
    category,
    title:
      'long ids that differ only in their last character are distinct (no truncation or hashing collision)',
    async run(context) {
      const store = await context.open();
      const stem = 'x'.repeat(511);

      const sessions = await storeAll(store, [`${stem}a`, `${stem}b`, stem], 'u1');
      await store.delete(`${stem}a`, 'u1');
      await expectNoSession(store, `${stem}a`, 'u1', 'after its delete()');
      await expectSession(store, `${stem}b`, 'u1', sessions[1]);
      await expectSession(store, stem, 'u1', sessions[2]);
    },
  },
];

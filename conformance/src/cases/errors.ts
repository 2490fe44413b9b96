import {
  SESSION_STORE_ERROR_CODES,
  type SessionStore,
  type SessionStoreError,
  type SessionStoreErrorCode,
  type StoredSession,
} from '@sessionstore/core';
import { assert, assertRejects, fail } from '../assert.js';
import { makeSession, randomHex, SeededRandom } from '../fixtures.js';
import type { CaseContext, ConformanceCase } from '../types.js';
import { sessionOfSize } from './values.js';

const category = 'errors';

/** A message starts with a package name, scoped or not, then a colon: `@scope/name: …`. */
const PACKAGE_PREFIX = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*: \S/;

interface Trigger {
  what: string;
  code: SessionStoreErrorCode;
  action: () => unknown;
  /** Words the message must contain: the argument it is about. */
  names?: readonly string[];
}

/** One call for each code a store can be made to reject with on demand. */
async function triggers(context: CaseContext): Promise<Trigger[]> {
  const store = await context.open({ maxSessionBytes: 1024 });
  await store.upsert(makeSession('s1', 'u1', { lockVersion: 0 }), 60);

  const list: Trigger[] = [
    {
      what: 'get("", "u1")',
      code: 'INVALID_ARGUMENT',
      action: () => store.get('', 'u1'),
      names: ['sessionId'],
    },
    {
      what: 'get("s1", 1.5)',
      code: 'INVALID_ARGUMENT',
      action: () => store.get('s1', 1.5),
      names: ['userId'],
    },
    {
      what: 'upsert(session, 0)',
      code: 'INVALID_ARGUMENT',
      action: () => store.upsert(makeSession('s1', 'u1'), 0),
      names: ['ttlSeconds'],
    },
    {
      what: 'upsert({ lockVersion: -1 }, 60)',
      code: 'INVALID_ARGUMENT',
      action: () => store.upsert(makeSession('s1', 'u1', { lockVersion: -1 }), 60),
      names: ['lockVersion'],
    },
    {
      what: 'upsert() of a session holding a function',
      code: 'INVALID_ARGUMENT',
      action: () => store.upsert(makeSession('s1', 'u1', { callback: () => 1 }), 60),
      names: ['session'],
    },
    {
      what: 'delete("s1", null)',
      code: 'INVALID_ARGUMENT',
      action: () => store.delete('s1', null as unknown as string),
      names: ['userId'],
    },
    {
      what: 'upsert({ lockVersion: 7 }, 60)',
      code: 'CONFLICT',
      action: () => store.upsert(makeSession('s1', 'u1', { lockVersion: 7 }), 60),
    },
    {
      what: 'upsert() of 1,025 bytes with maxSessionBytes 1,024',
      code: 'PAYLOAD_TOO_LARGE',
      action: () => store.upsert(sessionOfSize('big', 1025), 60),
    },
  ];
  if (store.getAll) {
    list.push({
      what: 'getAll("")',
      code: 'INVALID_ARGUMENT',
      action: () => store.getAll?.(''),
      names: ['userId'],
    });
  }
  if (store.deleteAll) {
    list.push({
      what: 'deleteAll(undefined)',
      code: 'INVALID_ARGUMENT',
      action: () => store.deleteAll?.(undefined as unknown as string),
      names: ['userId'],
    });
  }
  return list;
}

function checkShape(error: SessionStoreError, what: string): void {
  assert(error instanceof Error, `${what} rejected with something that is not an Error.`);
  assert(error.name === 'SessionStoreError', `${what} rejected with the name ${error.name}.`);
  assert(
    SESSION_STORE_ERROR_CODES.includes(error.code),
    `${what} rejected with the unknown code ${String(error.code)}.`,
  );
  assert(
    PACKAGE_PREFIX.test(error.message),
    `${what} rejected with a message that does not start with a package name and a colon: ` +
      `${JSON.stringify(error.message.slice(0, 80))}.`,
  );
  assert(
    error.message.split(' ').length >= 4,
    `${what} rejected with a message that is not a sentence: ${JSON.stringify(error.message)}.`,
  );
}

/** Every piece of text an error carries: message, stack, and the same of its causes. */
function errorTexts(error: unknown, depth = 0): string[] {
  if (!(error instanceof Error) || depth > 5) {
    return error === undefined ? [] : [String(error)];
  }
  return [error.message, error.stack ?? '', String(error), ...errorTexts(error.cause, depth + 1)];
}

export const errorCases: ConformanceCase[] = [
  {
    id: 'errors.shape.every-code',
    category,
    title:
      'INVALID_ARGUMENT, CONFLICT and PAYLOAD_TOO_LARGE rejections are SessionStoreErrors with a package-prefixed sentence',
    async run(context) {
      for (const trigger of await triggers(context)) {
        const error = await assertRejects(trigger.action, trigger.code, trigger.what);
        checkShape(error, trigger.what);
      }
    },
  },
  {
    id: 'errors.shape.closed',
    category,
    title: 'a CLOSED rejection is a SessionStoreError with a package-prefixed sentence',
    needs: ['close'],
    async run(context) {
      const store = await context.open();
      await store.close?.();

      const error = await assertRejects(
        () => store.get('s1', 'u1'),
        'CLOSED',
        'get() after close()',
      );
      checkShape(error, 'get() after close()');
    },
  },
  {
    id: 'errors.message.names-argument',
    category,
    title:
      'an INVALID_ARGUMENT message names the argument at fault (sessionId, userId, ttlSeconds, lockVersion)',
    async run(context) {
      for (const trigger of await triggers(context)) {
        if (trigger.names === undefined) continue;
        const error = await assertRejects(trigger.action, trigger.code, trigger.what);
        for (const name of trigger.names) {
          assert(
            error.message.includes(name),
            `${trigger.what} rejected with a message that does not name ${name}: ` +
              `${JSON.stringify(error.message)}.`,
          );
        }
      }
    },
  },
  {
    id: 'errors.message.no-secret',
    category,
    title:
      'no error message, stack or cause contains a long, secret-looking session id or payload value',
    async run(context) {
      const random = new SeededRandom(context.seed);
      const secretId = `sess_${randomHex(random, 48)}`;
      const secretToken = `tok_${randomHex(random, 48)}`;
      const store = await context.open({ maxSessionBytes: 2048 });
      await store.upsert(
        makeSession(secretId, 'u1', { lockVersion: 0, refreshToken: secretToken }),
        60,
      );

      const calls: [string, SessionStoreErrorCode, () => unknown][] = [
        [
          'upsert() with a stale lockVersion',
          'CONFLICT',
          () =>
            store.upsert(
              makeSession(secretId, 'u1', { lockVersion: 9, refreshToken: secretToken }),
              60,
            ),
        ],
        [
          'upsert() with lockVersion 0 over a live copy',
          'CONFLICT',
          () => store.upsert(makeSession(secretId, 'u1', { lockVersion: 0 }), 60),
        ],
        [
          'upsert() with ttl 0',
          'INVALID_ARGUMENT',
          () => store.upsert(makeSession(secretId, 'u1', { refreshToken: secretToken }), 0),
        ],
        [
          'upsert() with lockVersion "1"',
          'INVALID_ARGUMENT',
          () => store.upsert(makeSession(secretId, 'u1', { lockVersion: '1' }), 60),
        ],
        [
          'upsert() holding a Map',
          'INVALID_ARGUMENT',
          () =>
            store.upsert(
              makeSession(secretId, 'u1', { refreshToken: secretToken, map: new Map() }),
              60,
            ),
        ],
        [
          'upsert() over maxSessionBytes',
          'PAYLOAD_TOO_LARGE',
          () =>
            store.upsert(
              makeSession(secretId, 'u1', { refreshToken: secretToken, pad: 'x'.repeat(4096) }),
              60,
            ),
        ],
        ['get() with an invalid user id', 'INVALID_ARGUMENT', () => store.get(secretId, 1.5)],
        ['delete() with an invalid user id', 'INVALID_ARGUMENT', () => store.delete(secretId, '')],
        [
          'get() with a 513-byte id starting with the secret',
          'INVALID_ARGUMENT',
          () => store.get(secretId.padEnd(513, 'x'), 'u1'),
        ],
        [
          'upsert() with the secret as a user id of 513 bytes',
          'INVALID_ARGUMENT',
          () => store.upsert(makeSession('s1', secretId.padEnd(513, 'x')), 60),
        ],
      ];

      for (const [what, code, action] of calls) {
        const error = await assertRejects(action, code, what);
        for (const text of errorTexts(error)) {
          if (text.includes(secretId) || text.includes(secretToken)) {
            fail(`${what} rejected with an error whose text contains the secret-looking value.`);
          }
        }
      }
    },
  },
  {
    id: 'errors.async.rejects-never-throws',
    category,
    title: 'invalid calls return rejected promises; no method throws synchronously',
    async run(context) {
      const store = await context.open();
      const calls: [string, () => unknown][] = [
        ['get(undefined, undefined)', () => store.get(undefined as never, undefined as never)],
        [
          'upsert(undefined, undefined)',
          () => store.upsert(undefined as never, undefined as never),
        ],
        ['upsert(session, "60")', () => store.upsert(makeSession('s1', 'u1'), '60' as never)],
        [
          'delete(undefined, undefined)',
          () => store.delete(undefined as never, undefined as never),
        ],
      ];
      if (store.getAll) calls.push(['getAll(undefined)', () => store.getAll?.(undefined as never)]);
      if (store.deleteAll) calls.push(['deleteAll({})', () => store.deleteAll?.({} as never)]);

      for (const [what, action] of calls) {
        await assertRejects(action, 'INVALID_ARGUMENT', what);
      }
    },
  },
];

export type { SessionStore, StoredSession };

import {
  encodeSession,
  RecordSigner,
  type SessionStore,
  type SigningSecret,
  type StoredSession,
  type UserId,
} from '@sessionstore/core';
import { assert, describeError, fail, show } from '../assert.js';
import {
  expectListed,
  expectNoSession,
  expectSession,
  makeSession,
  type RecordingLogger,
  recordingLogger,
  sleep,
  type TestSession,
} from '../fixtures.js';
import { ReferenceModel } from '../model.js';
import type { CaseContext, ConformanceCase } from '../types.js';

const category = 'records';

const CODEC_CONTEXT = { store: '@sessionstore/conformance', method: 'a records case' };

/** Texts no store can decode into a session. */
export const CORRUPT_RECORDS: readonly (readonly [label: string, text: string])[] = [
  ['empty text', ''],
  ['plain text', 'not a session'],
  ['truncated JSON', '{"id":"x","userId":"u1","type":'],
  ['a JSON array', '[1,2,3]'],
  ['JSON null', 'null'],
  ['a JSON number', '42'],
  ['a JSON string', '"a session"'],
  ['a bad date tag', '{"id":"x","userId":"u1","at":{"$date":"not a date"}}'],
  ['a bad bigint tag', '{"id":"x","userId":"u1","n":{"$bigint":"1.5"}}'],
  ['an unknown tag', '{"id":"x","userId":"u1","v":{"$mystery":"1"}}'],
  ['control bytes', '\u0001\u0002\u00ff\ufffd'],
  ['a long run of garbage', '{'.repeat(5_000)],
];

function writeRaw(
  context: CaseContext,
): NonNullable<NonNullable<CaseContext['harness']['hooks']>['writeRawRecord']> {
  const write = context.harness.hooks?.writeRawRecord;
  if (write === undefined) {
    return context.skip('needs the harness hook hooks.writeRawRecord');
  }
  return write;
}

function inAnHour(context: CaseContext): number {
  return context.clock.now() + 3_600_000;
}

/**
 * The raw record a store holds for `session` once upserted: read back with
 * `hooks.readRawRecord` when the harness has it, otherwise built the way core's stores build
 * it (the codec's text, signed with its expiry, `expiresAtMs`, when a secret is given). The
 * cases upsert with a ttl of an hour and read the record back before the clock moves, so
 * `expiresAtMs` is {@link inAnHour}.
 */
async function rawRecordOf(
  context: CaseContext,
  store: SessionStore<StoredSession>,
  session: TestSession,
  signingSecret?: SigningSecret,
): Promise<string> {
  const read = context.harness.hooks?.readRawRecord;
  if (read !== undefined) {
    const raw = await read(store, session.userId, session.id);
    if (raw === null) {
      fail(`hooks.readRawRecord found no record for ${show(session.id)} right after its upsert().`);
    }
    return raw;
  }

  const text = encodeSession(session, CODEC_CONTEXT);
  if (signingSecret === undefined) {
    return text;
  }
  const userKey = ReferenceModel.userKey(session.userId);
  return new RecordSigner(signingSecret, CODEC_CONTEXT.store).sign(
    userKey,
    session.id,
    text,
    inAnHour(context),
  );
}

function expectReported(
  logger: RecordingLogger,
  types: readonly ('corrupt-record' | 'tampered-record')[],
  atLeast: number,
  what: string,
): void {
  const reported = logger.events.filter((entry) =>
    types.includes(entry.event?.type as 'corrupt-record'),
  );
  if (reported.length < atLeast) {
    fail(
      `${what}: the logger received ${reported.length} ${types.join(' or ')} event(s) where at ` +
        `least ${atLeast} were expected (it received ${logger.events.length} event(s) in all).`,
    );
  }
  for (const entry of reported) {
    assert(
      entry.level === 'warn' || entry.level === 'error',
      `${what}: a record event was logged at the level ${String(entry.level)}.`,
    );
  }
}

async function readQuietly(
  store: SessionStore<StoredSession>,
  sessionId: string,
  userId: UserId,
): Promise<StoredSession | null> {
  try {
    return await store.get(sessionId, userId);
  } catch (error) {
    return fail(
      `get(${show(sessionId)}, ${show(userId)}) of an unreadable record rejected ` +
        `(${describeError(error)}); it must be treated as absent.`,
    );
  }
}

export const recordCases: ConformanceCase[] = [
  {
    id: 'records.corrupt.get-skips',
    category,
    title: 'get() of an undecodable record resolves to null and reports a corrupt-record event',
    needs: ['hooks.writeRawRecord'],
    async run(context) {
      const logger = recordingLogger();
      const store = await context.open({ logger });
      const write = writeRaw(context);

      for (const [index, [label, text]] of CORRUPT_RECORDS.entries()) {
        const sessionId = `bad-${index}`;
        await write(store, 'u1', sessionId, text, inAnHour(context));
        const before = logger.ofType('corrupt-record').length;
        const session = await readQuietly(store, sessionId, 'u1');
        assert(session === null, `get() of a record holding ${label} returned ${show(session)}.`);
        if (logger.ofType('corrupt-record').length <= before) {
          fail(
            `get() of a record holding ${label} reported no corrupt-record event to the logger.`,
          );
        }
      }
    },
  },
  {
    id: 'records.corrupt.get-all-continues',
    category,
    title: 'getAll() skips undecodable records, reports each, and still lists every good session',
    needs: ['getAll', 'hooks.writeRawRecord'],
    async run(context) {
      const logger = recordingLogger();
      const store = await context.open({ logger });
      const write = writeRaw(context);
      const good: TestSession[] = [];

      for (const [index, [, text]] of CORRUPT_RECORDS.entries()) {
        const session = makeSession(`good-${index}`, 'u1');
        await store.upsert(session, 3600);
        good.push(session);
        await write(store, 'u1', `bad-${index}`, text, inAnHour(context));
      }

      await expectListed(store, 'u1', good, 'with undecodable records among the good ones');
      expectReported(logger, ['corrupt-record'], CORRUPT_RECORDS.length, 'getAll()');
    },
  },
  {
    id: 'records.corrupt.no-crash',
    category,
    title: 'reading, pruning and deleting around undecodable records raises no uncaught error',
    needs: ['hooks.writeRawRecord'],
    async run(context) {
      const store = await context.open({ logger: recordingLogger() });
      const write = writeRaw(context);
      const escaped: unknown[] = [];
      const onError = (error: unknown) => escaped.push(error);
      process.on('unhandledRejection', onError);
      process.on('uncaughtException', onError);

      try {
        for (const [index, [, text]] of CORRUPT_RECORDS.entries()) {
          await write(store, 'u1', `bad-${index}`, text, context.clock.now() + 1_000 * (index + 1));
        }
        await readQuietly(store, 'bad-0', 'u1');
        await store.getAll?.('u1');
        context.clock.advance(3_000);
        await store.getAll?.('u1');
        await store.prune?.();
        await store.delete('bad-5', 'u1');
        await sleep(50, context.signal);
      } finally {
        process.off('unhandledRejection', onError);
        process.off('uncaughtException', onError);
      }

      if (escaped.length > 0) {
        fail(`An error escaped the store: ${describeError(escaped[0])}.`);
      }
    },
  },
  {
    id: 'records.corrupt.overwrite-and-delete',
    category,
    title:
      'an undecodable record can be replaced by upsert() and removed by delete() and deleteAll()',
    needs: ['hooks.writeRawRecord'],
    async run(context) {
      const store = await context.open({ logger: recordingLogger() });
      const write = writeRaw(context);
      const replacement = makeSession('bad-0', 'u1', { replaced: true });

      await write(store, 'u1', 'bad-0', 'not a session', inAnHour(context));
      await write(store, 'u1', 'bad-1', '{"broken":', inAnHour(context));
      await write(store, 'u2', 'bad-2', '[]', inAnHour(context));
      await store.upsert(replacement, 60);
      await expectSession(
        store,
        'bad-0',
        'u1',
        replacement,
        'after upsert() over a corrupt record',
      );
      await store.delete('bad-1', 'u1');
      await store.deleteAll?.('u2');

      const count = context.harness.hooks?.countStored;
      if (count !== undefined) {
        await store.delete('bad-0', 'u1');
        const left = await count(store);
        assert(
          left === 0,
          `${left} entries are left after deleting every record, corrupt ones too.`,
        );
      }
    },
  },
  {
    id: 'records.corrupt.logger-throws',
    category,
    title: 'a logger that throws does not turn an undecodable record into a rejected get()',
    needs: ['hooks.writeRawRecord'],
    async run(context) {
      const logger = {
        warn() {
          throw new Error('logger failure');
        },
        error() {
          throw new Error('logger failure');
        },
      };
      const store = await context.open({ logger });

      await writeRaw(context)(store, 'u1', 'bad', 'not a session', inAnHour(context));
      assert((await readQuietly(store, 'bad', 'u1')) === null, 'get() returned a corrupt record.');
      const listed = (await store.getAll?.('u1')) ?? [];
      assert(listed.length === 0, 'getAll() listed a corrupt record.');
    },
  },
  {
    id: 'records.moved.not-returned',
    category,
    title: 'a valid record copied to another session id or another user is not returned there',
    needs: ['hooks.writeRawRecord'],
    async run(context) {
      const store = await context.open({ logger: recordingLogger() });
      const write = writeRaw(context);
      const session = makeSession('s1', 'u1', { role: 'admin' });

      await store.upsert(session, 3600);
      const raw = await rawRecordOf(context, store, session);
      const targets: [UserId, string][] = [
        ['u1', 's2'],
        ['u2', 's1'],
        ['u10', 's1'],
        ['u1:x', 's1'],
        [123, 's1'],
      ];
      for (const [userId, sessionId] of targets) {
        await write(store, userId, sessionId, raw, inAnHour(context));
        await expectNoSession(store, sessionId, userId, 'where a copied record was written');
        if (store.getAll && userId !== 'u1') {
          await expectListed(store, userId, [], 'where a copied record was written');
        }
      }
      await expectSession(store, 's1', 'u1', session, 'at its own place');
    },
  },
  {
    id: 'records.tampered.edited',
    category,
    title:
      'with signing, a record edited in place is not returned and is reported as tampered-record',
    needs: ['capabilities.signing', 'hooks.writeRawRecord'],
    async run(context) {
      const secret = 'conformance-secret-1';
      const logger = recordingLogger();
      const store = await context.open({ logger, signingSecret: secret });
      const session = makeSession('s1', 'u1', { role: 'user' });

      await store.upsert(session, 3600);
      await expectSession(store, 's1', 'u1', session, 'with signing on');
      const raw = await rawRecordOf(context, store, session, secret);
      const edited = raw.replace('"role":"user"', '"role":"root"');
      assert(edited !== raw, 'The raw record does not hold "role":"user" as JSON text to edit.');

      await writeRaw(context)(store, 'u1', 's1', edited, inAnHour(context));
      assert((await readQuietly(store, 's1', 'u1')) === null, 'get() returned an edited record.');
      expectReported(logger, ['tampered-record'], 1, 'get() of an edited record');
      if (store.getAll) {
        await expectListed(store, 'u1', [], 'with an edited record');
      }
    },
  },
  {
    id: 'records.tampered.unsigned-or-foreign',
    category,
    title:
      'with signing, an unsigned record, or one signed with an unknown secret, is not returned',
    needs: ['capabilities.signing', 'hooks.writeRawRecord'],
    async run(context) {
      const logger = recordingLogger();
      const store = await context.open({ logger, signingSecret: 'conformance-secret-1' });
      const write = writeRaw(context);
      const session = makeSession('s1', 'u1');
      const text = encodeSession(session, CODEC_CONTEXT);
      const foreign = new RecordSigner('someone-else', CODEC_CONTEXT.store).sign(
        'u1',
        's1',
        text,
        inAnHour(context),
      );

      for (const [label, record] of [
        ['an unsigned record', text],
        ['a record signed with an unknown secret', foreign],
      ] as const) {
        await write(store, 'u1', 's1', record, inAnHour(context));
        const read = await readQuietly(store, 's1', 'u1');
        assert(read === null, `get() returned ${label}.`);
      }
      expectReported(logger, ['tampered-record', 'corrupt-record'], 2, 'get() of bad signatures');
    },
  },
  {
    id: 'records.tampered.moved-signed',
    category,
    title: 'with signing, a signed record copied to another session id or user is not returned',
    needs: ['capabilities.signing', 'hooks.writeRawRecord'],
    async run(context) {
      const secret = 'conformance-secret-1';
      const logger = recordingLogger();
      const store = await context.open({ logger, signingSecret: secret });
      const write = writeRaw(context);
      const session = makeSession('s1', 'u1');

      await store.upsert(session, 3600);
      const raw = await rawRecordOf(context, store, session, secret);
      await write(store, 'u2', 's1', raw, inAnHour(context));
      await write(store, 'u1', 's2', raw, inAnHour(context));
      await expectNoSession(store, 's1', 'u2', 'where a signed record was copied');
      await expectNoSession(store, 's2', 'u1', 'where a signed record was copied');
      expectReported(logger, ['tampered-record'], 2, 'get() of moved signed records');
      await expectSession(store, 's1', 'u1', session, 'at its own place');
    },
  },
  {
    id: 'records.signing.rotation',
    category,
    title:
      'with secrets [new, old], records signed with the old secret still read; dropping old stops them',
    needs: ['capabilities.signing', 'hooks.writeRawRecord'],
    async run(context) {
      const write = writeRaw(context);
      const oldOnly = await context.open({ signingSecret: 'old-secret' });
      const rotated = await context.open({ signingSecret: ['new-secret', 'old-secret'] });
      const newOnly = await context.open({
        signingSecret: 'new-secret',
        logger: recordingLogger(),
      });
      const before = makeSession('before', 'u1');
      const after = makeSession('after', 'u1');

      await oldOnly.upsert(before, 3600);
      const oldRaw = await rawRecordOf(context, oldOnly, before, 'old-secret');
      await write(rotated, 'u1', 'before', oldRaw, inAnHour(context));
      await expectSession(
        rotated,
        'before',
        'u1',
        before,
        'signed with the old secret, after rotation',
      );

      await rotated.upsert(after, 3600);
      const newRaw = await rawRecordOf(context, rotated, after, 'new-secret');
      await write(newOnly, 'u1', 'after', newRaw, inAnHour(context));
      await expectSession(
        newOnly,
        'after',
        'u1',
        after,
        'signed after rotation, old secret dropped',
      );
      await write(newOnly, 'u1', 'before', oldRaw, inAnHour(context));
      await expectNoSession(newOnly, 'before', 'u1', 'signed with a secret no longer listed');
    },
  },
];

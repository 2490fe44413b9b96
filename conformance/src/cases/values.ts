import type { SessionStore, StoredSession } from '@sessionstore/core';
import { DEFAULT_MAX_SESSION_BYTES, encodeSession } from '@sessionstore/core';
import { assert, assertDeepEqual, assertRejects, assertSame, fail } from '../assert.js';
import { expectNoSession, expectSession, makeSession, type TestSession } from '../fixtures.js';
import type { ConformanceCase } from '../types.js';

const category = 'values';

/** How many UTF-8 bytes `session` encodes to, by core's codec (no limit applied). */
export function encodedBytes(session: object): number {
  const text = encodeSession(
    session,
    { store: '@sessionstore/conformance', method: 'encodedBytes()' },
    Number.MAX_SAFE_INTEGER,
  );
  return Buffer.byteLength(text, 'utf8');
}

/**
 * A session that encodes to exactly `bytes` UTF-8 bytes, padded with `filler` (a one- or
 * two-byte character) and topped up with ASCII.
 */
export function sessionOfSize(id: string, bytes: number, filler = 'x'): TestSession {
  const base = makeSession(id, 'u1', { pad: '' });
  const room = bytes - encodedBytes(base);
  if (room < 0) {
    throw new RangeError(`A session cannot be as small as ${bytes} bytes.`);
  }

  const fillerBytes = Buffer.byteLength(filler, 'utf8');
  const pad = filler.repeat(Math.floor(room / fillerBytes)) + 'x'.repeat(room % fillerBytes);
  const session = makeSession(id, 'u1', { pad });
  const size = encodedBytes(session);
  if (size !== bytes) {
    throw new RangeError(`sessionOfSize() built ${size} bytes where ${bytes} were asked.`);
  }
  return session;
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

function cyclic(): Record<string, unknown> {
  const node: Record<string, unknown> = { name: 'loop' };
  node.self = node;
  return node;
}

function cyclicThroughArray(): unknown[] {
  const list: unknown[] = [1];
  list.push({ back: list });
  return list;
}

/** Values the codec refuses, each with a label for failure messages. */
function unsupportedValues(): [string, unknown][] {
  return [
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['a class instance', new Point(1, 2)],
    ['a Map', new Map([['a', 1]])],
    ['a Set', new Set([1])],
    ['a WeakMap', new WeakMap()],
    ['a RegExp', /a/],
    ['an Error', new Error('x')],
    ['a Promise', Promise.resolve(1)],
    ['a boxed number', Object(1)],
    ['an Int32Array', new Int32Array(2)],
    ['an ArrayBuffer', new ArrayBuffer(2)],
    ['an invalid Date', new Date(Number.NaN)],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['a cycle', cyclic()],
    ['a cycle through an array', cyclicThroughArray()],
    ['undefined inside an array', [1, undefined, 2]],
    ['a hole in an array', arrayWithHole()],
    ['an object with a symbol key', { [Symbol('k')]: 1 }],
  ];
}

async function roundTrip(
  store: SessionStore<StoredSession>,
  fields: Record<string, unknown>,
  id = 's1',
): Promise<void> {
  const session = makeSession(id, 'u1', fields);
  await store.upsert(session, 600);
  await expectSession(store, id, 'u1', session);
  await expectListedCopy(store, id, session);
}

function asRecord(session: StoredSession): Record<string, unknown> {
  return session as unknown as Record<string, unknown>;
}

/**
 * The copies of session `id` of user u1 that a reader gets: through get(), and through
 * getAll() when the store has it (a store may decode a listing on another path).
 */
async function readCopies(
  store: SessionStore<StoredSession>,
  id: string,
): Promise<[string, Record<string, unknown>][]> {
  const read = await store.get(id, 'u1');
  assert(read !== null, `get(${JSON.stringify(id)}, "u1") returned null after upsert().`);
  const copies: [string, Record<string, unknown>][] = [['get()', asRecord(read)]];
  if (store.getAll) {
    const listed = (await store.getAll('u1')).find((item) => item.id === id);
    assert(listed !== undefined, `getAll("u1") did not list the session ${id}.`);
    copies.push(['getAll()', asRecord(listed)]);
  }
  return copies;
}

/** When the store has getAll(), fails unless it lists session `id` of u1 deep-equal to `expected`. */
async function expectListedCopy(
  store: SessionStore<StoredSession>,
  id: string,
  expected: unknown,
): Promise<void> {
  for (const [how, copy] of await readCopies(store, id)) {
    if (how !== 'get()') assertDeepEqual(copy, expected, `the session listed by ${how}`);
  }
}

function arrayWithHole(): unknown[] {
  const list: unknown[] = [1];
  list[2] = 2;
  return list;
}

export const valueCases: ConformanceCase[] = [
  {
    id: 'values.json.round-trip',
    category,
    title:
      'JSON values (null, booleans, numbers, strings, nested arrays and objects) round-trip deep-equal',
    async run(context) {
      const store = await context.open();

      await roundTrip(store, {
        nothing: null,
        yes: true,
        no: false,
        numbers: [0, 1, -1, 1.5, -2.25, 1e300, 5e-324, Number.MAX_SAFE_INTEGER, -(2 ** 53) + 1],
        text: 'plain',
        empty: { object: {}, array: [], string: '' },
        deep: { a: { b: { c: { d: [[[{ e: 'f' }]]] } } } },
        mixed: [null, true, 'x', 1, { y: [] }],
      });
    },
  },
  {
    id: 'values.strings.special',
    category,
    title: 'strings with U+0000, emoji, right-to-left text, combining marks and escapes round-trip',
    async run(context) {
      const store = await context.open();

      await roundTrip(store, {
        nul: 'a\u0000b',
        onlyNul: '\u0000',
        emoji: '😀👩‍👩‍👧🏳️‍🌈',
        rtl: 'שלום עולם مرحبا',
        combining: 'e\u0301',
        controls: '\t\n\r\b\f\u0001\u001f\u007f',
        quotes: `"'\`\\`,
        json: '{"id":"other","userId":"u2"}',
        high: '\u{10ffff}\ufffd\ufeff\u2028\u2029',
        looksTagged: '$date',
      });
    },
  },
  {
    id: 'values.numbers.negative-zero',
    category,
    title: '-0 comes back as -0, distinct from 0',
    async run(context) {
      const store = await context.open();

      await roundTrip(store, { negativeZero: -0, zero: 0, list: [-0, 0] });
    },
  },
  {
    id: 'values.dates.round-trip',
    category,
    title: 'Dates come back as Dates with the same millisecond, at any depth',
    async run(context) {
      const store = await context.open();
      const session = makeSession('s1', 'u1', {
        at: new Date(1_700_000_000_123),
        epoch: new Date(0),
        before1970: new Date(-86_400_001),
        far: new Date(8.64e15),
        nested: { list: [new Date(1), { when: new Date(2) }] },
      });

      await store.upsert(session, 600);
      for (const [how, copy] of await readCopies(store, 's1')) {
        assert(copy.at instanceof Date, `a Date came back through ${how} as something else.`);
      }
      await expectSession(store, 's1', 'u1', session);
      await expectListedCopy(store, 's1', session);
    },
  },
  {
    id: 'values.bigints.round-trip',
    category,
    title: 'bigints come back as bigints with the exact value, at any depth',
    async run(context) {
      const store = await context.open();

      await roundTrip(store, {
        zero: 0n,
        negative: -1n,
        big: 2n ** 64n + 1n,
        huge: -(2n ** 300n),
        nested: { list: [1n, { deeper: 9_007_199_254_740_993n }] },
        notBig: 1,
      });
    },
  },
  {
    id: 'values.bytes.round-trip',
    category,
    title: 'Uint8Array and Buffer values come back as Uint8Array with the same bytes',
    async run(context) {
      const store = await context.open();
      const all = new Uint8Array(256).map((_, index) => index);
      const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
      const session = makeSession('s1', 'u1', {
        empty: new Uint8Array(0),
        all,
        buffer: Buffer.from('héllo', 'utf8'),
        view: backing.subarray(2, 5),
        nested: { list: [new Uint8Array([0, 255])] },
      });

      await store.upsert(session, 600);
      for (const [how, copy] of await readCopies(store, 's1')) {
        for (const key of ['empty', 'all', 'buffer', 'view']) {
          assert(
            copy[key] instanceof Uint8Array,
            `${key} did not come back through ${how} as a Uint8Array.`,
          );
        }
      }
      const expected = { ...session, view: new Uint8Array([1, 2, 3]) };
      await expectSession(store, 's1', 'u1', expected);
      await expectListedCopy(store, 's1', expected);
    },
  },
  {
    id: 'values.undefined.dropped',
    category,
    title: 'object properties whose value is undefined are dropped, at any depth',
    async run(context) {
      const store = await context.open();
      const session = makeSession('s1', 'u1', {
        gone: undefined,
        nested: { kept: 1, gone: undefined, deeper: [{ gone: undefined, kept: 2 }] },
      });

      await store.upsert(session, 600);
      for (const [how, copy] of await readCopies(store, 's1')) {
        assert(!Object.hasOwn(copy, 'gone'), `a property set to undefined came back (${how}).`);
      }
      const expected = makeSession('s1', 'u1', { nested: { kept: 1, deeper: [{ kept: 2 }] } });
      await expectSession(store, 's1', 'u1', expected);
      await expectListedCopy(store, 's1', expected);
    },
  },
  {
    id: 'values.keys.special',
    category,
    title:
      'keys such as $where, $date, a.b, the empty key and constructor are stored as ordinary keys',
    async run(context) {
      const store = await context.open();

      await roundTrip(store, {
        $where: 'this.a == 1',
        $set: { a: 1 },
        $: 'dollar',
        $$double: 'two',
        'a.b': 'dotted',
        '': 'empty key',
        ' ': 'space key',
        constructor: 'c',
        prototype: 'p',
        toString: 'ts',
        hasOwnProperty: 'h',
        '0': 'numeric key',
        '😀': 'emoji key',
        nested: { $gt: 1, 'x.y': { '': null } },
      });
    },
  },
  {
    id: 'values.keys.tag-lookalikes',
    category,
    title:
      "objects that look like the codec's tags ({ $date: … }, { $bigint: … }) come back as plain objects",
    async run(context) {
      const store = await context.open();

      await roundTrip(store, {
        date: { $date: '2020-01-01T00:00:00.000Z' },
        bigint: { $bigint: '12' },
        bytes: { $bytes: 'AAE=' },
        number: { $number: '-0' },
        unknown: { $whatever: 1 },
        mongo: { $oid: '507f1f77bcf86cd799439011' },
        list: [{ $date: 0 }],
      });
    },
  },
  {
    id: 'values.keys.proto-own-property',
    category,
    title: '"__proto__" as an own property round-trips as data and pollutes no prototype',
    async run(context) {
      const store = await context.open();
      const payload = JSON.parse('{"__proto__": {"polluted": true}, "plain": 1}') as object;
      const session = makeSession('s1', 'u1', { payload });
      Object.defineProperty(session, '__proto__', {
        value: { alsoPolluted: true },
        enumerable: true,
        writable: true,
        configurable: true,
      });

      await store.upsert(session, 600);
      for (const [how, copy] of await readCopies(store, 's1')) {
        assert(
          Object.hasOwn(copy, '__proto__'),
          `"__proto__" did not come back through ${how} as an own property.`,
        );
        assertSame(
          (Object.getPrototypeOf(copy) as { alsoPolluted?: unknown } | null)?.alsoPolluted,
          undefined,
          `a field of the prototype of the session returned by ${how}`,
        );
      }
      assertSame(({} as { polluted?: unknown }).polluted, undefined, 'Object.prototype.polluted');
      await expectSession(store, 's1', 'u1', session);
      await expectListedCopy(store, 's1', session);
    },
  },
  {
    id: 'values.shared-reference.accepted',
    category,
    title: 'the same object referenced twice (not a cycle) is accepted and comes back twice',
    async run(context) {
      const store = await context.open();
      const shared = { a: 1 };

      await roundTrip(store, { first: shared, second: shared, list: [shared, shared] });
    },
  },
  {
    id: 'values.unsupported.rejected',
    category,
    title:
      'functions, symbols, class instances, Map, Set, cycles, NaN and Infinity reject INVALID_ARGUMENT',
    async run(context) {
      const store = await context.open();

      for (const [label, value] of unsupportedValues()) {
        await assertRejects(
          () => store.upsert(makeSession('s1', 'u1', { value }), 600),
          'INVALID_ARGUMENT',
          `upsert() of a session holding ${label}`,
        );
      }
      await expectNoSession(store, 's1', 'u1', 'after the rejected upserts');
    },
  },
  {
    id: 'values.unsupported.nested-deep',
    category,
    title: 'an unsupported value nested deep in arrays and objects is rejected too',
    async run(context) {
      const store = await context.open();

      for (const [label, value] of unsupportedValues()) {
        const session = makeSession('s1', 'u1', {
          extraPayload: { list: [1, { inner: [{ value }] }] },
        });
        await assertRejects(
          () => store.upsert(session, 600),
          'INVALID_ARGUMENT',
          `upsert() of a session holding ${label} five levels down`,
        );
      }
    },
  },
  {
    id: 'values.unsupported.stored-copy-untouched',
    category,
    title: 'an upsert() rejected for its values leaves the stored copy as it was',
    async run(context) {
      const store = await context.open();
      const original = makeSession('s1', 'u1', { round: 1 });

      await store.upsert(original, 600);
      for (const [label, value] of unsupportedValues()) {
        await assertRejects(
          () => store.upsert(makeSession('s1', 'u1', { round: 2, value }), 600),
          'INVALID_ARGUMENT',
          `upsert() over a live copy of a session holding ${label}`,
        );
      }
      await expectSession(store, 's1', 'u1', original, 'after the rejected upserts');
    },
  },
  {
    id: 'values.size.default-limit',
    category,
    title:
      'a session encoding to exactly 1 MiB is accepted; 1 MiB + 1 byte rejects PAYLOAD_TOO_LARGE',
    async run(context) {
      const store = await context.open();
      const atLimit = sessionOfSize('at-limit', DEFAULT_MAX_SESSION_BYTES);
      const overLimit = sessionOfSize('over-limit', DEFAULT_MAX_SESSION_BYTES + 1);

      await store.upsert(atLimit, 600);
      await expectSession(store, 'at-limit', 'u1', atLimit);
      await expectListedCopy(store, 'at-limit', atLimit);
      await assertRejects(
        () => store.upsert(overLimit, 600),
        'PAYLOAD_TOO_LARGE',
        'upsert() of a session of 1 MiB + 1 byte',
      );
      await expectNoSession(store, 'over-limit', 'u1', 'after PAYLOAD_TOO_LARGE');
    },
  },
  {
    id: 'values.size.small-limit',
    category,
    title:
      'with maxSessionBytes 2,048 passed to create, 2,048 bytes are accepted and 2,049 rejected',
    async run(context) {
      const store = await context.open({ maxSessionBytes: 2048 });

      for (const filler of ['x', 'é']) {
        const atLimit = sessionOfSize(`at-${filler}`, 2048, filler);
        const overLimit = sessionOfSize(`over-${filler}`, 2049, filler);
        await store.upsert(atLimit, 600);
        await expectSession(store, atLimit.id, 'u1', atLimit);
        await expectListedCopy(store, atLimit.id, atLimit);
        await assertRejects(
          () => store.upsert(overLimit, 600),
          'PAYLOAD_TOO_LARGE',
          `upsert() of a session of 2,049 bytes padded with "${filler}" (a limit of 2,048)`,
        );
        await expectNoSession(store, overLimit.id, 'u1', 'after PAYLOAD_TOO_LARGE');
      }
    },
  },
  {
    id: 'values.size.stored-copy-untouched',
    category,
    title: 'an upsert() rejected as too large leaves the stored copy as it was',
    async run(context) {
      const store = await context.open({ maxSessionBytes: 4096 });
      const original = makeSession('s1', 'u1', { round: 1 });
      const tooLarge = { ...sessionOfSize('s1', 4097), round: 2 };

      await store.upsert(original, 600);
      if (encodedBytes(tooLarge) <= 4096) {
        fail('The oversized session of this case is not oversized.');
      }
      await assertRejects(
        () => store.upsert(tooLarge, 600),
        'PAYLOAD_TOO_LARGE',
        'upsert() of an oversized session over a live copy',
      );
      await expectSession(store, 's1', 'u1', original, 'after PAYLOAD_TOO_LARGE');
    },
  },
];

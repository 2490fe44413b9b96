import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_SESSION_BYTES,
  decodeSession,
  encodeSession,
  MAX_NESTING_DEPTH,
  SessionStoreError,
} from '../src/index.js';

const context = { store: '@sessionstore/core', method: 'upsert()' };
const roundTrip = (value: object) => decodeSession(encodeSession(value, context), context);

function rejectionOf(action: () => unknown): SessionStoreError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(SessionStoreError);
    return error as SessionStoreError;
  }
  throw new Error('expected the call to throw');
}

describe('encodeSession and decodeSession', () => {
  it('round-trips JSON values, including U+0000, emoji and right-to-left text', () => {
    const value = {
      text: 'a\u0000b',
      emoji: '🔐👩‍💻',
      rtl: 'שלום عليكم',
      lone: '\ud800',
      numbers: [0, 1.5, -2, Number.MAX_SAFE_INTEGER],
      nested: { flag: true, nothing: null, list: [{ deep: ['x'] }] },
    };
    expect(roundTrip(value)).toEqual(value);
  });

  it('round-trips Date, bigint and Uint8Array nested anywhere', () => {
    const value = {
      when: new Date('2026-12-04T10:00:00.123Z'),
      big: 2n ** 70n,
      negative: -(2n ** 64n),
      bytes: new Uint8Array([0, 1, 255]),
      list: [new Date(0), 5n, new Uint8Array([])],
      deep: { deeper: { at: new Date(1) } },
    };
    const decoded = roundTrip(value);
    expect(decoded).toEqual(value);
    expect(decoded.bytes).toBeInstanceOf(Uint8Array);
  });

  it('returns a Buffer as a plain Uint8Array with the same bytes', () => {
    const decoded = roundTrip({ buffer: Buffer.from('hello') });
    expect(Object.getPrototypeOf(decoded.buffer)).toBe(Uint8Array.prototype);
    expect(Buffer.from(decoded.buffer as Uint8Array).toString()).toBe('hello');
  });

  it('keeps -0 distinct from 0', () => {
    const decoded = roundTrip({ zero: -0, list: [-0] });
    expect(Object.is(decoded.zero, -0)).toBe(true);
    expect(Object.is((decoded.list as number[])[0], -0)).toBe(true);
  });

  it('keeps keys that look like tags, operators, paths or the prototype as plain keys', () => {
    const value: Record<string, unknown> = {
      $date: 'not a date',
      $bigint: { $bytes: 'x' },
      $$already: 1,
      $where: 'sleep(1000)',
      'a.b': 1,
      '': 'empty',
      constructor: 'c',
    };
    Object.defineProperty(value, '__proto__', { value: { polluted: true }, enumerable: true });
    const decoded = roundTrip(value);
    expect(decoded).toEqual(value);
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.hasOwn(decoded, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('accepts objects without a prototype and returns them as plain objects', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    const decoded = roundTrip({ bare });
    expect(decoded).toEqual({ bare: { a: 1 } });
    expect(Object.getPrototypeOf(decoded.bare)).toBe(Object.prototype);
  });

  it('drops properties whose value is undefined', () => {
    expect(roundTrip({ a: 1, b: undefined })).toEqual({ a: 1 });
    expect(Object.keys(roundTrip({ a: 1, b: undefined }))).toEqual(['a']);
  });

  it('writes JSON text that the backend tools can read', () => {
    const text = encodeSession({ id: 's', at: new Date(0), n: 1n }, context);
    expect(JSON.parse(text)).toEqual({
      id: 's',
      at: { $date: '1970-01-01T00:00:00.000Z' },
      n: { $bigint: '1' },
    });
  });

  it.each([
    ['a function', { f: () => 1 }, 'session.f'],
    ['a symbol', { s: Symbol('x') }, 'session.s'],
    ['a class instance', { c: new (class Token {})() }, 'Token'],
    ['a Map', { m: new Map() }, 'a Map'],
    ['a Set', { s: new Set() }, 'a Set'],
    ['NaN', { n: Number.NaN }, 'NaN'],
    ['Infinity', { deep: [{ n: Number.POSITIVE_INFINITY }] }, 'session.deep[0].n'],
    ['an invalid Date', { d: new Date(Number.NaN) }, 'invalid Date'],
    ['another typed array', { t: new Int16Array(2) }, 'Int16Array'],
    ['undefined in an array', { a: [1, undefined] }, 'session.a[1]'],
    ['a hole in an array', { a: new Array(3) }, 'session.a[0]'],
    ['a symbol-keyed property', { [Symbol('k')]: 1 }, 'symbol'],
  ])('rejects %s with INVALID_ARGUMENT naming where it is', (_name, value, fragment) => {
    const error = rejectionOf(() => encodeSession(value as object, context));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('@sessionstore/core');
    expect(error.message).toContain(fragment);
  });

  it('ignores toJSON methods and stores the data itself, escaped like any key', () => {
    const payload = { real: 1 };
    Object.defineProperty(payload, 'toJSON', {
      value: () => ({ $bigint: '12345678901234567890' }),
      enumerable: false,
    });
    const decoded = roundTrip({ payload });
    expect(decoded).toEqual({ payload: { real: 1 } });
  });

  it('reads each value once, so a getter cannot show the check one value and store another', () => {
    let reads = 0;
    const session = {
      get changing() {
        reads++;
        return reads === 1 ? 'first' : () => 'second';
      },
    };
    expect(roundTrip(session)).toEqual({ changing: 'first' });
    expect(reads).toBe(1);
  });

  it('rejects subclasses of Date and Uint8Array as class instances', () => {
    class When extends Date {}
    class Bytes extends Uint8Array {}
    expect(rejectionOf(() => encodeSession({ d: new When(0) }, context)).message).toContain('When');
    expect(rejectionOf(() => encodeSession({ b: new Bytes(2) }, context)).message).toContain(
      'Bytes',
    );
  });

  it('turns a value whose reading throws into INVALID_ARGUMENT with the error as cause', () => {
    const failure = new Error('getter failed');
    const session = {
      get broken(): string {
        throw failure;
      },
    };
    const error = rejectionOf(() => encodeSession(session, context));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.cause).toBe(failure);

    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(rejectionOf(() => encodeSession({ proxy }, context)).code).toBe('INVALID_ARGUMENT');
  });

  it('refuses a session far over the limit before building its text', () => {
    const big = 'x'.repeat(DEFAULT_MAX_SESSION_BYTES);
    const shared = Array.from({ length: 600 }, () => big);
    // Built in full, this text would pass the engine's longest string and throw a RangeError.
    const error = rejectionOf(() => encodeSession({ shared }, context));
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(error.message).toContain(
      `encodes to more than maxSessionBytes (${DEFAULT_MAX_SESSION_BYTES}).`,
    );
  });

  it('rejects cycles but accepts the same object twice', () => {
    const shared = { x: 1 };
    expect(roundTrip({ a: shared, b: shared })).toEqual({ a: { x: 1 }, b: { x: 1 } });

    const cyclic: Record<string, unknown> = {};
    cyclic.self = { back: cyclic };
    expect(rejectionOf(() => encodeSession(cyclic, context)).message).toContain('cycle');
  });

  it(`rejects nesting deeper than ${MAX_NESTING_DEPTH} levels`, () => {
    let deep: Record<string, unknown> = {};
    for (let level = 0; level < MAX_NESTING_DEPTH + 5; level++) {
      deep = { next: deep };
    }
    expect(rejectionOf(() => encodeSession(deep, context)).code).toBe('INVALID_ARGUMENT');
  });

  it('accepts exactly maxSessionBytes and rejects one byte more with PAYLOAD_TOO_LARGE', () => {
    const overhead = encodeSession({ p: '' }, context).length;
    const exact = { p: 'é'.repeat(10) + 'x'.repeat(100 - overhead - 20) };
    expect(Buffer.byteLength(encodeSession(exact, context))).toBe(100);
    expect(() => encodeSession(exact, context, 100)).not.toThrow();

    const error = rejectionOf(() => encodeSession({ p: `${exact.p}x` }, context, 100));
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(error.message).toContain('encodes to 101 bytes, more than maxSessionBytes (100).');
  });

  it('defaults maxSessionBytes to 1 MiB', () => {
    const overhead = encodeSession({ p: '' }, context).length;
    const exact = { p: 'x'.repeat(DEFAULT_MAX_SESSION_BYTES - overhead) };
    expect(() => encodeSession(exact, context)).not.toThrow();
    expect(rejectionOf(() => encodeSession({ p: `${exact.p}x` }, context)).code).toBe(
      'PAYLOAD_TOO_LARGE',
    );
  });

  it.each([
    ['text that is not JSON', '{"id":'],
    ['JSON that is not an object', '[1,2]'],
    ['an unknown tag', '{"a":{"$evil":"x"}}'],
    ['an unknown tag beside other keys', '{"a":{"$evil":"x","b":1}}'],
    ['a bad date', '{"a":{"$date":"never"}}'],
    ['a bad bigint', '{"a":{"$bigint":"1.5"}}'],
    ['a tag without a string', '{"a":{"$date":5}}'],
  ])('reports %s as CORRUPT', (_name, text) => {
    const error = rejectionOf(() => decodeSession(text, context));
    expect(error.code).toBe('CORRUPT');
  });
});

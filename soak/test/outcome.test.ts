import { SessionStoreError } from '@sessionstore/core';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { NOT_A_STORE_ERROR, sameOutcome, settle, sortedById, TIMEOUT } from '../src/outcome.js';

describe('sameOutcome', () => {
  it('tells a bigint user id from a number and a string', () => {
    const asNumber = { ok: true, value: { id: 's', userId: 1 } } as const;
    const asBigint = { ok: true, value: { id: 's', userId: 1n } } as const;

    expect(sameOutcome(asNumber, asBigint)).toBe(false);
    expect(sameOutcome(asNumber, { ok: true, value: { id: 's', userId: '1' } })).toBe(false);
    expect(sameOutcome(asBigint, { ok: true, value: { id: 's', userId: 1n } })).toBe(true);
  });

  it('tells a Uint8Array from a Buffer and compares dates by time', () => {
    const bytes = { ok: true, value: Uint8Array.from([1, 2]) } as const;

    expect(sameOutcome(bytes, { ok: true, value: Buffer.from([1, 2]) })).toBe(false);
    expect(sameOutcome({ ok: true, value: new Date(5) }, { ok: true, value: new Date(5) })).toBe(
      true,
    );
  });

  it('compares rejections by code, not by message', () => {
    const conflict = { ok: false, code: 'CONFLICT', message: 'one wording' } as const;

    expect(sameOutcome(conflict, { ok: false, code: 'CONFLICT', message: 'another' })).toBe(true);
    expect(sameOutcome(conflict, { ok: false, code: 'UNAVAILABLE', message: 'x' })).toBe(false);
    expect(sameOutcome(conflict, { ok: true, value: undefined })).toBe(false);
  });

  it('compares listings as sets once sorted by id', () => {
    const listed = sortedById([{ id: 'b' }, { id: 'a' }]);

    expect(
      sameOutcome({ ok: true, value: listed }, { ok: true, value: [{ id: 'a' }, { id: 'b' }] }),
    ).toBe(true);
  });
});

describe('settle', () => {
  it('records a store error by its code and anything else as NOT_A_STORE_ERROR', async () => {
    const conflict = await settle(async () => {
      throw new SessionStoreError('CONFLICT', 'test: stale.');
    }, 1000);
    const other = await settle(async () => {
      throw new TypeError('boom');
    }, 1000);

    expect(conflict).toMatchObject({ ok: false, code: 'CONFLICT' });
    expect(other).toMatchObject({ ok: false, code: NOT_A_STORE_ERROR });
  });

  it('turns a call that never settles into a TIMEOUT', async () => {
    const outcome = await settle(() => new Promise(() => {}), 20);

    expect(outcome).toMatchObject({ ok: false, code: TIMEOUT });
  });
});

describe('ManualClock', () => {
  it('moves by its step while rounds are faster than the step', () => {
    const clock = new ManualClock(10_000, 0);

    expect(clock.advance(250, 100)).toBe(250);
    expect(clock.now()).toBe(10_250);
    expect(clock.catchUps).toBe(0);
  });

  it('moves by the real time passed when a round outlasts its step', () => {
    const clock = new ManualClock(10_000, 0);

    expect(clock.advance(250, 900)).toBe(900);
    expect(clock.catchUps).toBe(1);
  });

  it('never falls behind real time', () => {
    const clock = new ManualClock(1_000, 4_000);

    clock.advance(250, 5_000);

    expect(clock.now()).toBe(5_000);
  });
});

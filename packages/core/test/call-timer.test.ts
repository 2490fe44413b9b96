import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CallTimer, type TimedCall } from '../src/index.js';

/** How many ref()ed timers the process holds: what keeps it alive, as far as timers go. */
function refedTimers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}

describe('CallTimer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs onExpire once, when the bound runs out, and marks the call expired', () => {
    const timer = new CallTimer(1000);
    const onExpire = vi.fn();
    const call = timer.start(onExpire);

    vi.advanceTimersByTime(999);
    expect(onExpire).not.toHaveBeenCalled();
    expect(call.expired).toBe(false);

    vi.advanceTimersByTime(1);
    expect(onExpire).toHaveBeenCalledTimes(1);
    expect(call.expired).toBe(true);
    expect(timer.pending).toBe(0);

    call.finish();
    vi.advanceTimersByTime(5000);
    expect(onExpire).toHaveBeenCalledTimes(1);
  });

  it('never runs onExpire for a call finished in time', () => {
    const timer = new CallTimer(1000);
    const onExpire = vi.fn();
    const call = timer.start(onExpire);

    vi.advanceTimersByTime(500);
    call.finish();
    vi.advanceTimersByTime(5000);

    expect(onExpire).not.toHaveBeenCalled();
    expect(call.expired).toBe(false);
    expect(timer.pending).toBe(0);
  });

  it('gives each call its own bound, counted from its own start', () => {
    const timer = new CallTimer(1000);
    const expiredAt: Record<string, number> = {};
    const startedAt = performance.now();
    const note = (name: string) => () => {
      expiredAt[name] = performance.now() - startedAt;
    };

    timer.start(note('first'));
    vi.advanceTimersByTime(300);
    const second = timer.start(note('second'));
    vi.advanceTimersByTime(300);
    timer.start(note('third'));
    second.finish();
    vi.advanceTimersByTime(3000);

    expect(expiredAt).toEqual({ first: 1000, third: 1600 });
  });

  it('unlinks a finished call from anywhere in the queue without losing the others', () => {
    const timer = new CallTimer(100);
    const expired: number[] = [];
    const calls = Array.from({ length: 5 }, (_, position) =>
      timer.start(() => expired.push(position)),
    );

    calls[2]?.finish();
    calls[0]?.finish();
    calls[4]?.finish();
    expect(timer.pending).toBe(2);
    vi.advanceTimersByTime(100);

    expect(expired).toEqual([1, 3]);
    expect(timer.pending).toBe(0);
  });

  it('never runs onExpire of a call that another onExpire finished first', () => {
    const timer = new CallTimer(1000);
    const siblingExpired = vi.fn();
    let sibling: TimedCall | undefined;
    timer.start(() => sibling?.finish());
    sibling = timer.start(siblingExpired);

    vi.advanceTimersByTime(1000);

    expect(siblingExpired).not.toHaveBeenCalled();
    expect(sibling.expired).toBe(false);
  });

  it('bounds a call that an onExpire starts by the full bound, and the older ones by theirs', () => {
    const timer = new CallTimer(1000);
    const expiredAt: Record<string, number> = {};
    const startedAt = performance.now();
    const note = (name: string) => () => {
      expiredAt[name] = performance.now() - startedAt;
    };
    timer.start(() => {
      note('first')();
      timer.start(note('retry'));
    });
    vi.advanceTimersByTime(400);
    timer.start(note('second'));

    vi.advanceTimersByTime(3000);

    expect(expiredAt).toEqual({ first: 1000, second: 1400, retry: 2000 });
  });

  it('bounds calls started after an idle spell by the full bound', () => {
    const timer = new CallTimer(1000);
    timer.start(vi.fn()).finish();
    vi.advanceTimersByTime(800);
    const onExpire = vi.fn();
    timer.start(onExpire);

    // The timer armed for the first call fires at 1000 and must not end this one.
    vi.advanceTimersByTime(999);
    expect(onExpire).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onExpire).toHaveBeenCalledTimes(1);
  });
});

describe('CallTimer and the process', () => {
  it('holds the process open while a call is pending, and not once none is', () => {
    const before = refedTimers();
    const timer = new CallTimer(60_000);

    const first = timer.start(() => undefined);
    const second = timer.start(() => undefined);
    expect(refedTimers()).toBe(before + 1);

    first.finish();
    expect(refedTimers()).toBe(before + 1);
    second.finish();
    expect(refedTimers()).toBe(before);

    const third = timer.start(() => undefined);
    expect(refedTimers()).toBe(before + 1);
    third.finish();
    expect(refedTimers()).toBe(before);
  });

  it('holds no timer open once a call that an onExpire started has finished', async () => {
    const before = refedTimers();
    const timer = new CallTimer(10);
    let retry: TimedCall | undefined;
    const expired = new Promise<void>((resolve) => {
      timer.start(() => {
        retry = timer.start(() => undefined);
        resolve();
      });
    });

    await expired;
    retry?.finish();

    expect(timer.pending).toBe(0);
    expect(refedTimers()).toBe(before);
  });
});

import { MemorySessionStore, type Session, SessionStoreError } from '@sessionstore/core';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { EventCounter } from '../src/events.js';
import { passed } from '../src/report.js';
import { runSoak } from '../src/runner.js';

describe('EventCounter', () => {
  it('counts events by type and keeps the first messages', () => {
    const events = new EventCounter();
    const error = new SessionStoreError('CORRUPT', 'test: unreadable.');

    events.warn('skipped a record', { type: 'corrupt-record', store: 'test', error });
    events.error('prune failed', { type: 'prune-failed', store: 'test', error });
    events.warn('skipped a record', { type: 'corrupt-record', store: 'test', error });

    expect(events.counts).toEqual({ 'corrupt-record': 2, 'prune-failed': 1 });
    expect(events.total).toBe(3);
    expect(events.messages[0]).toMatch(/^corrupt-record: skipped a record/);
  });

  it('fails a run when its store logged an event, though every call agreed', async () => {
    const clock = new ManualClock(Date.UTC(2040, 0, 1), 0);
    const events = new EventCounter();
    const store = new MemorySessionStore<Session>({ clock: clock.now, logger: events });
    const result = await runSoak({ store, clock, seed: 3, maxCalls: 200, realNow: () => 0 });
    await store.close();
    const error = new SessionStoreError('UNAVAILABLE', 'test: the sweep failed.');
    events.error('a background prune pass failed.', { type: 'prune-failed', store: 'test', error });

    expect(passed(result)).toBe(true);
    expect(passed(result, events.counts)).toBe(false);
  });
});

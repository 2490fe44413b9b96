import { describe, expect, it, vi } from 'vitest';
import {
  type RecordKey,
  type RecordWrite,
  SessionStoreBase,
  SessionStoreError,
  type SessionStoreEvent,
  type StoredRecord,
  type StoredSession,
} from '../src/index.js';

/** A backend whose every call fails the way a driver would, to test the shared error paths. */
class FailingStore extends SessionStoreBase<StoredSession> {
  closedBackend = 0;
  readonly events: SessionStoreEvent[] = [];

  constructor(
    private readonly failure: unknown,
    pruneIntervalMs = 0,
  ) {
    super(
      {
        logger: {
          warn: (_message, event) => this.events.push(event),
          error: (_message, event) => this.events.push(event),
        },
      },
      { store: '@sessionstore/test', pruneIntervalMs },
    );
    this.startPruneTimer();
  }

  protected override readRecord(_key: RecordKey): Promise<string | null> {
    return Promise.reject(this.failure);
  }
  protected override writeRecord(_write: RecordWrite): Promise<boolean> {
    return Promise.reject(this.failure);
  }
  protected override deleteRecord(_key: RecordKey): Promise<void> {
    return Promise.reject(this.failure);
  }
  protected override readUserRecords(): Promise<StoredRecord[]> {
    return Promise.reject(this.failure);
  }
  protected override deleteUserRecords(): Promise<void> {
    return Promise.reject(this.failure);
  }
  protected override pruneExpired(): Promise<number> {
    return Promise.reject(this.failure);
  }
  protected override async closeBackend(): Promise<void> {
    this.closedBackend++;
  }
}

describe('SessionStoreBase', () => {
  it('wraps a driver error as UNAVAILABLE with the error as cause and its code in the message', async () => {
    const driverError = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
    });
    const store = new FailingStore(driverError);
    const error = await store.get('s', 1).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SessionStoreError);
    expect((error as SessionStoreError).code).toBe('UNAVAILABLE');
    expect((error as SessionStoreError).cause).toBe(driverError);
    expect((error as SessionStoreError).message).toBe(
      '@sessionstore/test: get() failed because the backend could not complete it (ECONNREFUSED).',
    );
    await store.close();
  });

  it('keeps a driver error code that could carry text out of the message', async () => {
    const store = new FailingStore({ code: 'postgres://user:secret@host/db' });
    const error = (await store.delete('s', 1).catch((caught: unknown) => caught)) as Error;
    expect(error.message).not.toContain('secret');
    await store.close();
  });

  it('rejects bad arguments before calling the backend at all', async () => {
    const store = new FailingStore(new Error('must not be reached'));
    const error = (await store.get('', 1).catch((caught: unknown) => caught)) as SessionStoreError;
    expect(error.code).toBe('INVALID_ARGUMENT');
    await store.close();
  });

  it('reports a failed background prune pass through the logger without an unhandled rejection', async () => {
    vi.useFakeTimers();
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const store = new FailingStore(new Error('boom'), 100);
      await vi.advanceTimersByTimeAsync(350);
      expect(store.events.length).toBeGreaterThanOrEqual(3);
      expect(store.events[0]?.type).toBe('prune-failed');
      expect(store.events[0]?.error.code).toBe('UNAVAILABLE');
      await store.close();
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
      vi.useRealTimers();
    }
  });

  it('closes the backend once however often close() is called, then rejects with CLOSED', async () => {
    const store = new FailingStore(new Error('unused'));
    await Promise.all([store.close(), store.close()]);
    await store.close();
    expect(store.closedBackend).toBe(1);
    for (const call of [
      () => store.get('s', 1),
      () => store.upsert({ id: 's', userId: 1 }, 60),
      () => store.delete('s', 1),
      () => store.getAll(1),
      () => store.deleteAll(1),
      () => store.prune(),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 'CLOSED' });
    }
  });
});

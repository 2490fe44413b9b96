import { describe, expect, it, vi } from 'vitest';
import {
  type RecordKey,
  type RecordWrite,
  SessionStoreBase,
  type SessionStoreEvent,
  type SessionStoreLogger,
  type StoredRecord,
  type StoredSession,
} from '../src/index.js';

interface Row {
  record: string;
  expiresAtMs: number;
}

/** A store whose rows a test can edit directly, as someone with database access could. */
class EditableStore extends SessionStoreBase<StoredSession> {
  readonly rows = new Map<string, Row>();

  constructor(options: {
    clock: () => number;
    signingSecret?: string;
    logger: SessionStoreLogger;
  }) {
    super(options, { store: '@sessionstore/test', pruneIntervalMs: 0 });
  }

  protected override async readRecord(key: RecordKey, nowMs: number): Promise<string | null> {
    const row = this.rows.get(`${key.userKey}/${key.sessionId}`);
    return row !== undefined && nowMs < row.expiresAtMs ? row.record : null;
  }
  protected override async writeRecord(write: RecordWrite): Promise<boolean> {
    this.rows.set(`${write.userKey}/${write.sessionId}`, write);
    return true;
  }
  protected override async deleteRecord(key: RecordKey): Promise<void> {
    this.rows.delete(`${key.userKey}/${key.sessionId}`);
  }
  protected override async readUserRecords(
    userKey: string,
    nowMs: number,
  ): Promise<StoredRecord[]> {
    return [...this.rows]
      .filter(([id, row]) => id.startsWith(`${userKey}/`) && nowMs < row.expiresAtMs)
      .map(([id, row]) => ({ sessionId: id.slice(userKey.length + 1), record: row.record }));
  }
  protected override async deleteUserRecords(): Promise<void> {}
  protected override async pruneExpired(): Promise<number> {
    return 0;
  }
  protected override async closeBackend(): Promise<void> {}
}

function recorder(): SessionStoreLogger & { events: SessionStoreEvent[] } {
  const events: SessionStoreEvent[] = [];
  return {
    events,
    warn: (_m, event) => events.push(event),
    error: (_m, event) => events.push(event),
  };
}

describe('stored records edited behind the store', () => {
  it('treats a signed session whose expiry was pushed back in the database as absent', async () => {
    let now = 1_000_000;
    const logger = recorder();
    const store = new EditableStore({ clock: () => now, signingSecret: 'k', logger });
    await store.upsert({ id: 'a', userId: 1 }, 60);

    const row = store.rows.get('1/a') as Row;
    row.expiresAtMs += 365 * 86_400_000;
    now += 61_000;

    expect(await store.get('a', 1)).toBeNull();
    expect(await store.getAll(1)).toEqual([]);
    expect(logger.events.map((event) => event.type)).toEqual([
      'tampered-record',
      'tampered-record',
    ]);
  });

  it('reports a corrupt record in one sentence, without quoting the stored text', async () => {
    const logger = recorder();
    const store = new EditableStore({ clock: () => 1_000_000, logger });
    store.rows.set('1/a', { record: '{"token":"secret-value', expiresAtMs: 2_000_000 });

    expect(await store.get('a', 1)).toBeNull();
    const [event] = logger.events;
    expect(event?.type).toBe('corrupt-record');
    expect(event?.error.message).toBe(
      '@sessionstore/test: get() skipped a stored record that could not be decoded.',
    );
    expect(
      JSON.stringify(event?.error.cause, Object.getOwnPropertyNames(event?.error.cause)),
    ).not.toContain('secret-value');
  });

  it('ignores a logger whose promise rejects, without an unhandled rejection', async () => {
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const logger: SessionStoreLogger = {
        warn: () => Promise.reject(new Error('log sink down')) as never,
        error: () => Promise.reject(new Error('log sink down')) as never,
      };
      const store = new EditableStore({ clock: () => 1_000_000, logger });
      store.rows.set('1/a', { record: 'not json', expiresAtMs: 2_000_000 });

      expect(await store.get('a', 1)).toBeNull();
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('stores the identity it checked even when a getter would answer differently later', async () => {
    const store = new EditableStore({ clock: () => 1_000_000, logger: recorder() });
    let reads = 0;
    const session = {
      get id() {
        reads++;
        return reads === 1 ? 'first' : 'second';
      },
      userId: 1,
    };

    await store.upsert(session, 60);
    expect(await store.get('first', 1)).toEqual({ id: 'first', userId: 1 });
  });
});

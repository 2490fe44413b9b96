import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SessionStoreEvent, SessionStoreLogger, StoredSession } from '@sessionstore/core';

/** A session with any fields of its own. */
export type AnySession = StoredSession & Record<string, unknown>;

/** A logger that keeps every event it is given. */
export function recordingLogger(): SessionStoreLogger & { events: SessionStoreEvent[] } {
  const events: SessionStoreEvent[] = [];
  return {
    events,
    warn: (_message, event) => events.push(event),
    error: (_message, event) => events.push(event),
  };
}

/** A temporary directory for database files, and a function that removes it. */
export function temporaryDirectory(): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'sessionstore-sqlite-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A clock the test moves by hand. */
export function manualClock(start = Date.now()): {
  now: () => number;
  advance: (ms: number) => void;
} {
  let current = start;
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
    },
  };
}

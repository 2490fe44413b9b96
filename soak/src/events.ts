import type { SessionStoreEvent, SessionStoreLogger } from '@sessionstore/core';

const MAX_KEPT_MESSAGES = 5;

/**
 * The logger the soak gives every store. A healthy run reports nothing: a record that fails
 * to decode or to verify, or a failed background prune, is a fault even when no call shows
 * it, so each event is counted and fails the run.
 */
export class EventCounter implements SessionStoreLogger {
  /** Events by type. */
  readonly counts: Record<string, number> = {};
  /** The first few messages, for the report. */
  readonly messages: string[] = [];

  /** How many events were reported in all. */
  get total(): number {
    return Object.values(this.counts).reduce((sum, count) => sum + count, 0);
  }

  warn(message: string, event: SessionStoreEvent): void {
    this.#count(message, event);
  }

  error(message: string, event: SessionStoreEvent): void {
    this.#count(message, event);
  }

  #count(message: string, event: SessionStoreEvent): void {
    this.counts[event.type] = (this.counts[event.type] ?? 0) + 1;
    if (this.messages.length < MAX_KEPT_MESSAGES) {
      this.messages.push(`${event.type}: ${message} ${event.error.message}`);
    }
  }
}

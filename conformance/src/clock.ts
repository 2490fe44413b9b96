/**
 * A clock that moves only when told to. It starts at the real time, so a backend whose own
 * expiry runs on real time (Redis key expiry, a Mongo TTL index) never removes an entry
 * before the store's clock says it expired, and it refuses to go backwards, because a store
 * may rely on time never doing so.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * const store = new MemorySessionStore({ clock: clock.now });
 * await store.upsert(session, 60);
 * clock.advance(60_000); // the session has just expired
 * ```
 */
export class ManualClock {
  #nowMs: number;

  /**
   * @param startMs - the first reading, in ms since the Unix epoch; `Date.now()` by default.
   * @throws RangeError when `startMs` is not a finite number.
   */
  constructor(startMs: number = Date.now()) {
    if (!Number.isFinite(startMs)) {
      throw new RangeError(`ManualClock: the start time must be a finite number, not ${startMs}.`);
    }
    this.#nowMs = startMs;
  }

  /** The current reading, in ms. Bound, so it can be passed as a store's `clock` option. */
  readonly now = (): number => this.#nowMs;

  /**
   * Moves the clock forward.
   *
   * @param ms - how far, a finite number from 0.
   * @returns the new reading.
   * @throws RangeError for a negative or non-finite step: the clock never goes back.
   */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(
        `ManualClock: advance() takes a finite step from 0 ms; it never goes back (got ${ms}).`,
      );
    }

    this.#nowMs += ms;
    return this.#nowMs;
  }

  /**
   * Moves the clock forward to a given reading.
   *
   * @throws RangeError when `targetMs` is earlier than now.
   */
  advanceTo(targetMs: number): number {
    if (!Number.isFinite(targetMs) || targetMs < this.#nowMs) {
      throw new RangeError(
        `ManualClock: advanceTo(${targetMs}) would move the clock back from ${this.#nowMs}.`,
      );
    }

    this.#nowMs = targetMs;
    return this.#nowMs;
  }

  /**
   * Moves the clock forward (possibly by 0) to the next reading whose millisecond within the
   * second is `phaseMs`, so a case can put an expiry in the middle of a second and catch a
   * store that rounds to whole seconds.
   *
   * @param phaseMs - an integer from 0 to 999.
   */
  advanceToPhase(phaseMs: number): number {
    if (!Number.isInteger(phaseMs) || phaseMs < 0 || phaseMs > 999) {
      throw new RangeError(`ManualClock: a phase is an integer from 0 to 999, not ${phaseMs}.`);
    }

    const current = ((this.#nowMs % 1000) + 1000) % 1000;
    return this.advance((phaseMs - current + 1000) % 1000);
  }
}

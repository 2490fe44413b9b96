/**
 * The soak's clock: it moves only when told, between rounds, so the store and the model
 * read the same time for every call of a round.
 *
 * It starts at (or ahead of) real time and never runs slower than real time. Redis key
 * expiry is set relative to the store clock and runs on real time, and a MongoDB TTL index
 * compares stored dates with real time: a store clock that lagged would let either remove
 * sessions the contract still calls live, a fault of the set-up rather than of the store.
 */
export class ManualClock {
  #nowMs: number;
  #lastRealMs: number;
  #catchUps = 0;

  /**
   * @param startMs - the first reading, in ms since the epoch.
   * @param realNowMs - real time now, from which the first step is measured.
   */
  constructor(startMs: number, realNowMs: number) {
    this.#nowMs = startMs;
    this.#lastRealMs = realNowMs;
  }

  /** The current reading, as a store's `clock` option expects it. */
  readonly now = (): number => this.#nowMs;

  /** How many times {@link advance} moved further than its step to keep up with real time. */
  get catchUps(): number {
    return this.#catchUps;
  }

  /** Restarts the measure of real time, for instance once a store has been opened. */
  markRealTime(realNowMs: number): void {
    this.#lastRealMs = realNowMs;
  }

  /**
   * Moves the clock forward by `stepMs`, or by the real time passed since the last move when
   * that is more, and never to before `realNowMs`.
   *
   * @returns how far the clock moved, in ms.
   */
  advance(stepMs: number, realNowMs: number): number {
    const before = this.#nowMs;
    const realElapsedMs = realNowMs - this.#lastRealMs;
    this.#lastRealMs = realNowMs;

    this.#nowMs = Math.max(before + Math.max(stepMs, realElapsedMs), realNowMs);
    if (this.#nowMs - before > stepMs) {
      this.#catchUps++;
    }
    return this.#nowMs - before;
  }
}

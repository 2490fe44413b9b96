/**
 * The soak's clock: it moves only when told, between rounds, so the store and the model
 * read the same time for every call of a round.
 *
 * It starts at (or ahead of) the real time and never falls behind it. Redis key expiry and a MongoDB TTL
 * index run on real time; a store clock behind real time would let them remove sessions the
 * contract still calls live, which is a fault of the test set-up, not of the store.
 */
export class ManualClock {
  #nowMs: number;
  #catchUps = 0;

  /** @param startMs - the first reading, in ms since the epoch. */
  constructor(startMs: number) {
    this.#nowMs = startMs;
  }

  /** The current reading, as a store's `clock` option expects it. */
  readonly now = (): number => this.#nowMs;

  /** How many times {@link advance} had to jump forward to real time. */
  get catchUps(): number {
    return this.#catchUps;
  }

  /**
   * Moves the clock forward by `stepMs`, or to `realNowMs` when that is later.
   *
   * @returns how far the clock moved, in ms.
   */
  advance(stepMs: number, realNowMs: number): number {
    const before = this.#nowMs;
    this.#nowMs += stepMs;
    if (this.#nowMs < realNowMs) {
      this.#nowMs = realNowMs;
      this.#catchUps++;
    }
    return this.#nowMs - before;
  }
}

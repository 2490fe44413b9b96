/** A clock that moves only when a test says so; it starts at the real time. */
export class TestClock {
  #nowMs = Date.now();

  /** The reading, in ms; bound so it can be passed as a store's `clock`. */
  readonly now = (): number => this.#nowMs;

  /** Moves the clock forward by `ms`. */
  advance(ms: number): void {
    this.#nowMs += ms;
  }
}

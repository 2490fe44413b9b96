/**
 * One status line on stderr while the benchmark runs: rewritten in place on a terminal, and
 * printed at most every few seconds otherwise, so CI logs stay short.
 */
export class Progress {
  readonly #startMs = performance.now();
  readonly #interactive = process.stderr.isTTY === true;
  readonly #logIntervalMs = 5000;
  #lastLogMs = Number.NEGATIVE_INFINITY;

  /** Shows what is running now. */
  update(text: string): void {
    const elapsedSeconds = ((performance.now() - this.#startMs) / 1000).toFixed(0);
    const line = `[bench ${elapsedSeconds.padStart(4)} s] ${text}`;

    if (this.#interactive) {
      process.stderr.write(`\r${line.slice(0, (process.stderr.columns || 120) - 1)}\x1b[K`);
      return;
    }
    const nowMs = performance.now();
    if (nowMs - this.#lastLogMs >= this.#logIntervalMs) {
      this.#lastLogMs = nowMs;
      process.stderr.write(`${line}\n`);
    }
  }

  /** Clears the line before other output. */
  done(): void {
    if (this.#interactive) {
      process.stderr.write('\r\x1b[K');
    }
  }
}

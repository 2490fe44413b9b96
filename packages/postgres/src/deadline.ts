import type { CallTimer, TimedCall } from '@sessionstore/core';

/**
 * What a call was waiting for when its bound ran out:
 * - `connection`: a connection from the pool (a free one, or a new one being opened);
 * - `schema`: the check for the table, or its creation, on the store's first call;
 * - `statement`: the answer to the call's own statement, which had been sent.
 */
export type TimeoutPhase = 'connection' | 'schema' | 'statement';

/**
 * A call ran past `queryTimeoutMs`. `phase` says what it was waiting for; only in the
 * `statement` phase was anything of the call sent to the server.
 */
export class QueryTimeoutError extends Error {
  /**
   * @param timeoutMs - the bound that ran out.
   * @param phase - what the call was waiting for.
   */
  constructor(
    readonly timeoutMs: number,
    readonly phase: TimeoutPhase,
  ) {
    super(`The call did not complete within queryTimeoutMs (${timeoutMs} ms), in its ${phase}.`);
    this.name = 'QueryTimeoutError';
  }
}

/**
 * The time bound of one call, started by the constructor on the store's shared
 * {@link CallTimer} and ended by {@link clear}. Steps of the call are raced against it one
 * after the other.
 */
export class Deadline {
  readonly timeoutMs: number;
  #onExpire: (() => void) | undefined;
  readonly #call: TimedCall;

  /** @param calls - the store's timer. */
  constructor(calls: CallTimer) {
    this.timeoutMs = calls.timeoutMs;
    this.#call = calls.start(() => this.#onExpire?.());
  }

  /** True once the bound has run out. */
  get expired(): boolean {
    return this.#call.expired;
  }

  /**
   * Settles as `work` does, or rejects with a {@link QueryTimeoutError} for `phase` when the
   * bound runs out first. Work that loses the race is left to finish on its own: its failure
   * is ignored, and a value it brings later is handed to `onLate` (to give back a connection
   * that arrived after the caller had gone).
   */
  race<T>(work: Promise<T>, phase: TimeoutPhase, onLate?: (value: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const expire = (): void => {
        settled = true;
        reject(new QueryTimeoutError(this.timeoutMs, phase));
      };

      work.then(
        (value) => {
          if (settled) {
            onLate?.(value);
            return;
          }
          settled = true;
          this.#onExpire = undefined;
          resolve(value);
        },
        (error: unknown) => {
          if (!settled) {
            settled = true;
            this.#onExpire = undefined;
            reject(error);
          }
        },
      );

      if (this.#call.expired) {
        expire();
      } else {
        this.#onExpire = expire;
      }
    });
  }

  /** Ends the bound; call it once the call has settled. */
  clear(): void {
    this.#call.finish();
    this.#onExpire = undefined;
  }
}

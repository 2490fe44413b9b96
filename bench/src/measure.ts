/** How much one measured cell may run: it stops at whichever limit comes first. */
export interface CellBudget {
  maxCalls: number;
  maxMs: number;
}

/** What one measured cell gave. */
export interface CellResult {
  calls: number;
  elapsedMs: number;
  opsPerSec: number;
  p50Us: number;
  p99Us: number;
}

/**
 * Runs `call` with `concurrency` calls in flight until `budget` runs out, and times each call.
 * Worker `w` makes calls `w`, `w + concurrency`, `w + 2 * concurrency`, ..., one after the
 * other, so calls whose index is equal modulo the concurrency never overlap.
 */
export async function measure(
  call: (index: number) => Promise<unknown>,
  concurrency: number,
  budget: CellBudget,
): Promise<CellResult> {
  const cell = new CellRun(call, concurrency, budget.maxCalls);
  await cell.runFor(budget.maxMs);
  return cell.result();
}

/**
 * One cell measured in slices: each {@link runFor} runs the workers for a while, and the
 * next one resumes each worker where it stopped, so the calls keep the indexes (and the
 * no-overlap rule) of one uninterrupted {@link measure}. Slices of several contenders can
 * then be interleaved, so a change in the machine's state mid-cell falls on all of them.
 */
export class CellRun {
  readonly #call: (index: number) => Promise<unknown>;
  readonly #maxCalls: number;
  readonly #latenciesUs: Float64Array;
  /** The next index of each worker. */
  readonly #nextIndexes: number[];
  #completed = 0;
  #elapsedMs = 0;

  constructor(call: (index: number) => Promise<unknown>, concurrency: number, maxCalls: number) {
    this.#call = call;
    this.#maxCalls = maxCalls;
    this.#latenciesUs = new Float64Array(maxCalls);
    this.#nextIndexes = Array.from({ length: concurrency }, (_, worker) => worker);
  }

  /** How many calls have completed. */
  get calls(): number {
    return this.#completed;
  }

  /** Runs the workers until `ms` have passed or the calls run out. */
  async runFor(ms: number): Promise<void> {
    const startMs = performance.now();
    const deadlineMs = startMs + ms;
    const concurrency = this.#nextIndexes.length;

    const worker = async (slot: number): Promise<void> => {
      for (
        let index = this.#nextIndexes[slot] ?? this.#maxCalls;
        index < this.#maxCalls;
        index += concurrency
      ) {
        const beforeMs = performance.now();
        if (beforeMs >= deadlineMs) {
          return;
        }
        await this.#call(index);
        this.#latenciesUs[this.#completed++] = (performance.now() - beforeMs) * 1000;
        this.#nextIndexes[slot] = index + concurrency;
      }
    };
    await Promise.all(this.#nextIndexes.map((_, slot) => worker(slot)));
    this.#elapsedMs += performance.now() - startMs;
  }

  /** The figures of every slice so far, as one cell. */
  result(): CellResult {
    return summarise(this.#latenciesUs.slice(0, this.#completed), this.#elapsedMs);
  }
}

function summarise(latenciesUs: Float64Array, elapsedMs: number): CellResult {
  latenciesUs.sort();

  return {
    calls: latenciesUs.length,
    elapsedMs,
    opsPerSec: latenciesUs.length / (elapsedMs / 1000),
    p50Us: percentile(latenciesUs, 0.5),
    p99Us: percentile(latenciesUs, 0.99),
  };
}

/** The value at `fraction` of a sorted array (nearest rank); 0 for an empty one. */
export function percentile(sorted: ArrayLike<number>, fraction: number): number {
  if (sorted.length === 0) {
    return 0;
  }

  const rank = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1);
  return sorted[Math.max(0, rank)] ?? 0;
}

/** The median of some numbers (the mean of the middle two for an even count); 0 for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) {
    return 0;
  }

  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const upper = sorted[middle] ?? 0;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? 0) + upper) / 2;
}

/** Runs `task` over `items` with at most `limit` in flight. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };

  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

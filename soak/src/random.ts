import { randomInt } from 'node:crypto';

/**
 * A small seeded generator (xorshift32), so a run's workload is fixed by its seed. Not for
 * anything secret: it only decides which operation the soak issues next.
 */
export class Random {
  #state: number;

  /** @param seed - any unsigned 32-bit integer; 0 is replaced by a fixed non-zero state. */
  constructor(seed: number) {
    this.#state = seed >>> 0 || 0x2545f491;
  }

  /** The next unsigned 32-bit integer. */
  nextUint32(): number {
    let state = this.#state;
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    this.#state = state;
    return state;
  }

  /** A float in [0, 1). */
  fraction(): number {
    return this.nextUint32() / 2 ** 32;
  }

  /** An integer from `min` to `max`, both included. */
  integer(min: number, max: number): number {
    return min + Math.floor(this.fraction() * (max - min + 1));
  }

  /** True with probability `probability`. */
  chance(probability: number): boolean {
    return this.fraction() < probability;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.fraction() * items.length)];
    if (item === undefined) {
      throw new RangeError('soak: Random.pick() needs a non-empty list.');
    }
    return item;
  }

  /** One key of `weights`, chosen in proportion to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
    let remaining = this.fraction() * total;
    for (const [key, weight] of entries) {
      remaining -= weight;
      if (remaining < 0) {
        return key;
      }
    }
    return this.pick(entries)[0];
  }
}

/** A fresh seed from the operating system's generator: 1 to 2^32 - 1. */
export function randomSeed(): number {
  return randomInt(1, 2 ** 32);
}

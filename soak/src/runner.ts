import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { MemorySessionStore, type Session } from '@sessionstore/core';
import { getAllCall, runAction } from './actions.js';
import { type CallContext, Checker, type SoakStore } from './checker.js';
import type { ManualClock } from './clock.js';
import { settle, showOutcome } from './outcome.js';
import { planAction } from './plan.js';
import { Random } from './random.js';
import { createStats, recordDivergence, type SoakStats, totalCalls } from './stats.js';
import { buildUsers, type SoakUser } from './users.js';

/** How a run is bounded and shaped. Every field but `store`, `clock` and `seed` has a default. */
export interface SoakOptions {
  /** The store under test. Its `clock` option must be `clock.now`. */
  readonly store: SoakStore;
  readonly clock: ManualClock;
  /** Fixes the workload: the same seed issues the same calls. */
  readonly seed: number;
  /** How long the workload runs, in seconds. Default 30. */
  readonly seconds?: number;
  /** The most store calls the workload makes. Default 5,000,000. */
  readonly maxCalls?: number;
  /** How many users exist. Default 200. */
  readonly users?: number;
  /** How many users act at once in each round. Default 24. */
  readonly parallelUsers?: number;
  /** How far the clock moves between rounds, in ms. Default 250. */
  readonly clockStepMs?: number;
  /** Every how many rounds `prune()` is called on both. Default 40. */
  readonly pruneEveryRounds?: number;
  /** How long one store call may take before it counts as a TIMEOUT, in ms. Default 5,000. */
  readonly callTimeoutMs?: number;
  /** How many divergences are kept in full. Default 20. */
  readonly divergenceCap?: number;
  /** Counts the sessions the backend physically holds, for the check after the last prune. */
  readonly countStored?: () => Promise<number>;
  /** Real time, which the clock must keep up with. Default `Date.now`. */
  readonly realNow?: () => number;
  /** Called about every `progressIntervalMs` of real time while the workload runs. */
  readonly onProgress?: (progress: SoakProgress) => void;
  /** Default 5,000. */
  readonly progressIntervalMs?: number;
  /** Ends the workload early (at the end of the current round); the audit still runs. */
  readonly signal?: AbortSignal;
}

/** A snapshot while the workload runs. */
export interface SoakProgress {
  readonly elapsedMs: number;
  readonly calls: number;
  readonly divergences: number;
}

/** What a run did and found. */
export interface SoakResult {
  readonly seed: number;
  readonly stats: SoakStats;
  /** Real time the workload ran, without the final audit, in ms. */
  readonly elapsedMs: number;
  readonly callsPerSecond: number;
  /** How far the store clock moved in all, in ms. */
  readonly clockAdvancedMs: number;
  /** How often the clock moved further than its step, to keep up with real time. */
  readonly clockCatchUps: number;
  /** Live sessions in the model at the end. */
  readonly liveSessions: number;
  /** What the backend held after the last prune, when it can be counted. */
  readonly storedAfterPrune: number | undefined;
  /** Whether the final audit reached every user before its time ran out. */
  readonly auditComplete: boolean;
}

const DEFAULTS = {
  seconds: 30,
  maxCalls: 5_000_000,
  users: 200,
  parallelUsers: 24,
  clockStepMs: 250,
  pruneEveryRounds: 40,
  callTimeoutMs: 5_000,
  divergenceCap: 20,
  progressIntervalMs: 5_000,
};

type Settings = typeof DEFAULTS & SoakOptions;

/**
 * Runs the mixed workload against `options.store` and, call by call, against the reference
 * model (a `MemorySessionStore` on the same clock), then audits every user's listing and
 * the backend's count. Bounded by time and by call count.
 */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const settings: Settings = { ...DEFAULTS, ...definedOnly(options), ...requiredOf(options) };
  const model = new MemorySessionStore<Session>({ clock: settings.clock.now, pruneIntervalMs: 0 });
  const stats = createStats(settings.divergenceCap);
  const checker = new Checker(settings.store, model, stats, settings.callTimeoutMs);
  const users = buildUsers(settings.users);
  const startClockMs = settings.clock.now();

  try {
    const elapsedMs = await runRounds(settings, checker, stats, users);
    const auditComplete = await audit(settings, checker, users, stats.rounds);
    const storedAfterPrune = await pruneAndCount(settings, checker, model, stats);

    return {
      seed: settings.seed,
      stats,
      elapsedMs,
      callsPerSecond: totalCalls(stats) / Math.max(elapsedMs / 1000, 0.001),
      clockAdvancedMs: settings.clock.now() - startClockMs,
      clockCatchUps: settings.clock.catchUps,
      liveSessions: model.size,
      storedAfterPrune,
      auditComplete,
    };
  } finally {
    await model.close();
  }
}

async function runRounds(
  settings: Settings,
  checker: Checker,
  stats: SoakStats,
  users: SoakUser[],
): Promise<number> {
  const random = new Random(settings.seed);
  const startMs = performance.now();
  const deadlineMs = startMs + settings.seconds * 1000;
  // Every round makes at least one call, so the call bound also bounds the rounds.
  const maxRounds = settings.maxCalls;
  let nextProgressMs = startMs + settings.progressIntervalMs;
  const realNow = settings.realNow ?? Date.now;
  settings.clock.markRealTime(realNow());

  for (let round = 0; round < maxRounds; round++) {
    const active = users.filter((user) => !user.quarantined);
    if (performance.now() >= deadlineMs || totalCalls(stats) >= settings.maxCalls) {
      break;
    }
    if (settings.signal?.aborted) {
      break;
    }
    if (active.length === 0) {
      break;
    }

    await runRound(settings, checker, random, active, round);
    // A synchronous backend settles every call in microtasks; yielding once a round lets
    // timers run, the store's background prune among them, as they would in a server.
    await nextTurn();
    stats.rounds = round + 1;
    await pruneEvery(settings, checker, stats, round);
    settings.clock.advance(settings.clockStepMs, realNow());

    if (performance.now() >= nextProgressMs) {
      nextProgressMs += settings.progressIntervalMs;
      settings.onProgress?.({
        elapsedMs: performance.now() - startMs,
        calls: totalCalls(stats),
        divergences: stats.divergenceCount,
      });
    }
  }
  return performance.now() - startMs;
}

/** One round: distinct users act in parallel, each user's calls in sequence. */
async function runRound(
  settings: Settings,
  checker: Checker,
  random: Random,
  active: SoakUser[],
  round: number,
): Promise<void> {
  const chosen = pickDistinct(random, active, settings.parallelUsers);
  const plans = chosen.map((user) => planAction(random, user));
  const nowMs = settings.clock.now();

  for (const plan of plans) {
    checker.countAction(plan.kind);
  }
  await Promise.all(plans.map((plan) => runAction(plan, { checker, round, nowMs })));
}

/** Background cleanup must never change what callers see; prune() on both now and then. */
async function pruneEvery(
  settings: Settings,
  checker: Checker,
  stats: SoakStats,
  round: number,
): Promise<void> {
  if ((round + 1) % settings.pruneEveryRounds !== 0) {
    return;
  }

  const pruned = await checker.pruneBoth();
  if (!pruned.store.ok) {
    recordDivergence(stats, {
      round,
      user: '(all)',
      action: 'audit',
      call: 'prune()',
      store: showOutcome(pruned.store),
      model: showOutcome(pruned.model),
      difference: '',
    });
    return;
  }

  // The store may have swept some expired sessions already, but it can never remove more
  // than the model holds expired: more means it removed live ones.
  const removedMore = Number(pruned.store.value) > Number(pruned.model.ok && pruned.model.value);
  if (removedMore && stats.divergenceCount === 0) {
    recordDivergence(stats, {
      round,
      user: '(all)',
      action: 'audit',
      call: 'prune()',
      store: `removed ${pruned.store.value}`,
      model: `removed ${pruned.model.ok ? pruned.model.value : 'nothing'} (at most that many)`,
      difference: '',
    });
  }
}

/**
 * After the workload: every user's listing compared once more, each under the call
 * timeout, and the whole audit within `seconds` (at least 10 s) more.
 */
async function audit(
  settings: Settings,
  checker: Checker,
  users: SoakUser[],
  round: number,
): Promise<boolean> {
  const deadlineMs = performance.now() + Math.max(settings.seconds, 10) * 1000;

  for (const user of users) {
    if (performance.now() >= deadlineMs) {
      return false;
    }
    if (user.quarantined) {
      continue;
    }

    const context: CallContext = { round, user, action: 'audit' };
    await checker.both(context, getAllCall(user.aliases[0] ?? user.key));
  }
  return true;
}

/**
 * Prunes both and, when nothing diverged so far, compares what the backend holds with the
 * model's live sessions: a store whose index or rows grow without bound shows up here.
 */
async function pruneAndCount(
  settings: Settings,
  checker: Checker,
  model: MemorySessionStore<Session>,
  stats: SoakStats,
): Promise<number | undefined> {
  await pruneEvery(settings, checker, stats, settings.pruneEveryRounds - 1);
  if (settings.countStored === undefined) {
    return undefined;
  }

  const counted = await settle(settings.countStored, settings.callTimeoutMs);
  const stored = counted.ok ? Number(counted.value) : undefined;
  if (stats.divergenceCount === 0 && stored !== model.size) {
    recordDivergence(stats, {
      round: stats.rounds,
      user: '(all)',
      action: 'audit',
      call: 'count of stored sessions after prune()',
      store: counted.ok ? String(stored) : showOutcome(counted),
      model: String(model.size),
      difference: '',
    });
  }
  return stored;
}

function pickDistinct<T>(random: Random, items: readonly T[], count: number): T[] {
  const pool = [...items];
  const chosen: T[] = [];
  while (chosen.length < count && pool.length > 0) {
    const index = random.integer(0, pool.length - 1);
    chosen.push(...pool.splice(index, 1));
  }
  return chosen;
}

function requiredOf(options: SoakOptions): Pick<SoakOptions, 'store' | 'clock' | 'seed'> {
  return { store: options.store, clock: options.clock, seed: options.seed };
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}

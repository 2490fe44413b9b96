import type { Outcome } from './outcome.js';

/** The store methods the soak calls. */
export const METHODS = ['get', 'upsert', 'delete', 'getAll', 'deleteAll', 'prune'] as const;

/** One store method. */
export type Method = (typeof METHODS)[number];

/** The auth-layer actions the workload is made of; each is one or more store calls. */
export const ACTION_KINDS = [
  'login',
  'multiDeviceLogin',
  'request',
  'refresh',
  'staleRefresh',
  'racingRefresh',
  'profileUpdate',
  'logout',
  'logoutEverywhere',
  'logoutEverywhereDuringLogin',
  'devices',
  'invalidUpsert',
] as const;

/** One action of the workload. */
export type ActionKind = (typeof ACTION_KINDS)[number];

/** Error codes the workload provokes on purpose; any other code is unexpected. */
export const EXPECTED_CODES: readonly string[] = ['CONFLICT', 'INVALID_ARGUMENT'];

/** A call where the store and the model disagreed. */
export interface Divergence {
  readonly round: number;
  /** The user's canonical id. */
  readonly user: string;
  readonly action: ActionKind | 'audit';
  /** The call, with its arguments, as printed. */
  readonly call: string;
  readonly store: string;
  readonly model: string;
  /** Where the two differ, when both resolved; empty otherwise. */
  readonly difference: string;
}

/** Everything a run counts. */
export interface SoakStats {
  rounds: number;
  readonly calls: Record<Method, number>;
  readonly actions: Record<ActionKind, number>;
  /** The store's rejections by code, expected ones included. */
  readonly storeErrorsByCode: Record<string, number>;
  /** Store rejections with a code outside {@link EXPECTED_CODES}. */
  unexpectedErrors: number;
  divergenceCount: number;
  /** The first divergences, up to the cap given to {@link createStats}. */
  readonly divergences: Divergence[];
  readonly divergenceCap: number;
  /** Users dropped from the workload after a divergence. */
  quarantinedUsers: number;
  /** What `prune()` reported: the store's count and the model's. */
  prunedByStore: number;
  prunedByModel: number;
}

/** Empty counters. */
export function createStats(divergenceCap: number): SoakStats {
  return {
    rounds: 0,
    calls: Object.fromEntries(METHODS.map((method) => [method, 0])) as Record<Method, number>,
    actions: Object.fromEntries(ACTION_KINDS.map((kind) => [kind, 0])) as Record<
      ActionKind,
      number
    >,
    storeErrorsByCode: {},
    unexpectedErrors: 0,
    divergenceCount: 0,
    divergences: [],
    divergenceCap,
    quarantinedUsers: 0,
    prunedByStore: 0,
    prunedByModel: 0,
  };
}

/** Counts one store call and, if it was rejected, its code. */
export function countCall(stats: SoakStats, method: Method, outcome: Outcome): void {
  stats.calls[method]++;
  if (outcome.ok) {
    return;
  }

  stats.storeErrorsByCode[outcome.code] = (stats.storeErrorsByCode[outcome.code] ?? 0) + 1;
  if (!EXPECTED_CODES.includes(outcome.code)) {
    stats.unexpectedErrors++;
  }
}

/** Records a divergence, keeping its details while under the cap. */
export function recordDivergence(stats: SoakStats, divergence: Divergence): void {
  stats.divergenceCount++;
  if (stats.divergences.length < stats.divergenceCap) {
    stats.divergences.push(divergence);
  }
}

/** How many store calls were made in all. */
export function totalCalls(stats: SoakStats): number {
  return Object.values<number>(stats.calls).reduce((sum, count) => sum + count, 0);
}

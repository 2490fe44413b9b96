import type { UserId } from '@sessionstore/core';
import type { Random } from './random.js';
import type { ActionKind } from './stats.js';
import { SESSION_IDS, type SoakUser } from './users.js';

/** One action, with every random choice already made, so a seed fixes the workload. */
export interface ActionPlan {
  readonly kind: ActionKind;
  readonly user: SoakUser;
  /** The spelling of the user id the calls use. */
  readonly userId: UserId;
  readonly sessionId: string;
  readonly ttlSeconds: number;
  /** Seeds the session body the action writes. */
  readonly payloadSeed: number;
  /** The lock version a stale refresh sends. */
  readonly staleLockVersion: number;
  /** Distinct session ids that log in at once in a multi-device login. */
  readonly parallelSessionIds: readonly string[];
}

/** How often each action is chosen, in proportion. */
export const ACTION_WEIGHTS: Readonly<Record<ActionKind, number>> = {
  login: 16,
  multiDeviceLogin: 3,
  request: 30,
  refresh: 14,
  staleRefresh: 4,
  racingRefresh: 3,
  profileUpdate: 3,
  logout: 8,
  logoutEverywhere: 2,
  logoutEverywhereDuringLogin: 2,
  devices: 12,
  invalidUpsert: 1,
};

/** Time-to-live values the contract rejects. */
export const INVALID_TTLS: readonly number[] = [0, -1, 1.5, Number.NaN, 2_147_483_648];

/** Decides the next action of `user`. */
export function planAction(random: Random, user: SoakUser): ActionPlan {
  const kind = random.weighted(ACTION_WEIGHTS);
  const sessionId = pickSessionId(random, user, kind);

  return {
    kind,
    user,
    userId: random.pick(user.aliases),
    sessionId,
    ttlSeconds: pickTtlSeconds(random, kind),
    payloadSeed: random.nextUint32(),
    staleLockVersion: pickStaleLockVersion(random, user, sessionId),
    parallelSessionIds: pickDistinctIds(random, random.integer(2, 5)),
  };
}

/**
 * Mostly short lives, so sessions expire between one visit of a user and the next; some
 * long ones, so users gather several devices; now and then the largest time to live.
 */
function pickTtlSeconds(random: Random, kind: ActionKind): number {
  const roll = random.fraction();
  const position = random.fraction();

  if (kind === 'invalidUpsert') {
    return INVALID_TTLS[Math.floor(position * INVALID_TTLS.length)] ?? 0;
  }
  if (roll < 0.6) {
    return 1 + Math.floor(position * 8);
  }
  return roll < 0.98 ? 60 + Math.floor(position * 3541) : 2_147_483_647;
}

/**
 * A login picks any id, so it may meet a live one; other actions mostly use a known one.
 * The draws are the same whatever the user knows, so the random stream (and with it every
 * later choice) does not depend on which tab won a race.
 */
function pickSessionId(random: Random, user: SoakUser, kind: ActionKind): string {
  const anyId = random.pick(SESSION_IDS);
  const preferKnown = random.chance(0.8);
  const knownPosition = random.fraction();

  const known = [...user.known.keys()];
  if (kind === 'login' || known.length === 0 || !preferKnown) {
    return anyId;
  }
  return known[Math.floor(knownPosition * known.length)] ?? anyId;
}

/** `count` distinct ids: the first steps of a shuffle, one draw each. */
function pickDistinctIds(random: Random, count: number): string[] {
  const ids = [...SESSION_IDS];
  const picked = Math.min(count, ids.length);
  for (let index = 0; index < picked; index++) {
    const other = random.integer(index, ids.length - 1);
    [ids[index], ids[other]] = [ids[other] as string, ids[index] as string];
  }
  return ids.slice(0, picked);
}

/** A version the client held before, else one below (or above) the current one. */
function pickStaleLockVersion(random: Random, user: SoakUser, sessionId: string): number {
  const preferPrevious = random.chance(0.8);
  const previousPosition = random.fraction();
  const offset = random.pick([-1, 1, 2]);

  const previous = user.previousVersions.get(sessionId) ?? [];
  const earlier = previous[Math.floor(previousPosition * previous.length)];
  if (earlier !== undefined && preferPrevious) {
    return earlier;
  }
  const current = user.known.get(sessionId)?.lockVersion ?? 1;
  return Math.max(1, current + offset);
}

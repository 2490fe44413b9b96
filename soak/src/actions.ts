import type { Session, UserId } from '@sessionstore/core';
import type { CallContext, Checker, StoreCall } from './checker.js';
import type { Outcome } from './outcome.js';
import type { ActionPlan } from './plan.js';
import { loginSession, refreshedSession, updatedSession } from './sessions.js';
import { type SoakUser, showUserId } from './users.js';

/** What an action needs besides its plan. */
export interface ActionEnvironment {
  readonly checker: Checker;
  readonly round: number;
  /** The clock reading of this round; the clock does not move while a round runs. */
  readonly nowMs: number;
}

const MAX_PREVIOUS_VERSIONS = 4;

/** Runs one planned action, each call checked against the model. */
export async function runAction(plan: ActionPlan, environment: ActionEnvironment): Promise<void> {
  const context: CallContext = { round: environment.round, user: plan.user, action: plan.kind };
  const step = { plan, context, ...environment };

  switch (plan.kind) {
    case 'login':
      return login(step);
    case 'multiDeviceLogin':
      return multiDeviceLogin(step);
    case 'request':
      return void (await read(step));
    case 'refresh':
      return refresh(step);
    case 'staleRefresh':
      return staleRefresh(step);
    case 'racingRefresh':
      return racingRefresh(step);
    case 'profileUpdate':
      return profileUpdate(step);
    case 'logout':
      return logout(step);
    case 'logoutEverywhere':
      return logoutEverywhere(step);
    case 'logoutEverywhereDuringLogin':
      return logoutEverywhereDuringLogin(step);
    case 'devices':
      return void (await listDevices(step, plan.userId));
    case 'invalidUpsert':
      return invalidUpsert(step);
  }
}

interface Step extends ActionEnvironment {
  readonly plan: ActionPlan;
  readonly context: CallContext;
}

async function login(step: Step): Promise<void> {
  const { plan } = step;
  const session = loginSession(
    plan.sessionId,
    plan.userId,
    step.nowMs,
    plan.ttlSeconds,
    plan.payloadSeed,
  );

  const outcome = await step.checker.both(step.context, upsertCall(session, plan.ttlSeconds));
  if (outcome?.ok) {
    remember(plan.user, plan.sessionId, 1);
  }
}

/**
 * Several devices log in at once: creates with distinct ids, sent in parallel. Distinct ids
 * do not interact, so each outcome must be the model's whatever the order; then every
 * created session must be listed.
 */
async function multiDeviceLogin(step: Step): Promise<void> {
  const { plan, checker, context } = step;
  const logins = plan.parallelSessionIds.map((sessionId, index) => {
    const session = loginSession(
      sessionId,
      plan.userId,
      step.nowMs,
      plan.ttlSeconds,
      plan.payloadSeed + index,
    );
    return { sessionId, call: upsertCall(session, plan.ttlSeconds) };
  });
  const outcomes = await Promise.all(logins.map(({ call }) => checker.onStore(call)));

  for (const [index, { sessionId, call }] of logins.entries()) {
    const model = await checker.onModel(call);
    if (!checker.agree(context, `${call.text} (in parallel)`, outcomeAt(outcomes, index), model)) {
      return;
    }
    if (model.ok) {
      remember(plan.user, sessionId, 1);
    }
  }
  await listDevices(step, plan.userId);
}

/** A request: reads the session, as every authenticated request does. */
async function read(step: Step): Promise<Session | null | undefined> {
  const { plan } = step;
  const outcome = await step.checker.both(step.context, getCall(plan.sessionId, plan.userId));
  if (outcome === undefined || !outcome.ok) {
    return undefined;
  }

  const session = outcome.value as Session | null;
  learn(plan.user, plan.sessionId, session);
  return session;
}

/** A token refresh: read, then compare-and-set with the lock version just read. */
async function refresh(step: Step): Promise<void> {
  const session = await read(step);
  if (!session) {
    return;
  }

  const { plan } = step;
  const written = refreshedSession(session, step.nowMs, plan.ttlSeconds, plan.payloadSeed);
  const outcome = await step.checker.both(step.context, upsertCall(written, plan.ttlSeconds));
  if (outcome?.ok) {
    remember(plan.user, plan.sessionId, (written.lockVersion ?? 0) + 1);
  }
}

/**
 * A refresh from a client that kept an old copy: it sends an earlier lock version, or one
 * for a session that was revoked or expired. The store must refuse with CONFLICT unless the
 * version happens to be current; the model says which.
 */
async function staleRefresh(step: Step): Promise<void> {
  const { plan } = step;
  const base = loginSession(
    plan.sessionId,
    plan.userId,
    step.nowMs,
    plan.ttlSeconds,
    plan.payloadSeed,
  );
  const session = { ...base, lockVersion: plan.staleLockVersion };

  const outcome = await step.checker.both(step.context, upsertCall(session, plan.ttlSeconds));
  if (outcome?.ok) {
    remember(plan.user, plan.sessionId, plan.staleLockVersion + 1);
  }
}

/**
 * Two tabs refresh the same session at once with the same lock version. At most one may
 * succeed, and exactly one must when the model accepts that version; the model then takes
 * the winner's write.
 */
async function racingRefresh(step: Step): Promise<void> {
  const session = await read(step);
  if (!session) {
    return;
  }

  const { plan, checker } = step;
  const tabs = [plan.payloadSeed, plan.payloadSeed ^ 0x5bd1e995].map((seed) =>
    refreshedSession(session, step.nowMs, plan.ttlSeconds, seed),
  );
  const calls = tabs.map((tab) => upsertCall(tab, plan.ttlSeconds));
  const outcomes = await Promise.all(calls.map((call) => checker.onStore(call)));

  await settleRace(step, calls, outcomes, (session.lockVersion ?? 1) + 1);
}

async function settleRace(
  step: Step,
  calls: StoreCall[],
  outcomes: Outcome[],
  nextLockVersion: number,
): Promise<void> {
  const { checker, context, plan } = step;
  const winners = outcomes.flatMap((outcome, index) => (outcome.ok ? [index] : []));
  const raceText = (index: number) => `${calls[index]?.text} (tab ${index + 1} of 2, in parallel)`;

  if (winners.length > 1) {
    checker.diverge(context, raceText(1), 'both tabs resolved', 'at most one tab resolves');
    return;
  }

  // The model decides whether this lock version is accepted; for the model either tab's
  // write is the same test, so it takes the store's winner (or the first tab if none won).
  const decidingIndex = winners[0] ?? 0;
  const otherIndex = 1 - decidingIndex;
  const deciding = calls[decidingIndex];
  if (deciding === undefined) {
    return;
  }
  const model = await checker.onModel(deciding);
  const otherExpected: Outcome = model.ok ? CONFLICT_OUTCOME : model;

  const agreed =
    checker.agree(context, raceText(decidingIndex), outcomeAt(outcomes, decidingIndex), model) &&
    checker.agree(context, raceText(otherIndex), outcomeAt(outcomes, otherIndex), otherExpected);
  if (agreed && model.ok) {
    remember(plan.user, plan.sessionId, nextLockVersion);
  }
}

const CONFLICT_OUTCOME: Outcome = {
  ok: false,
  code: 'CONFLICT',
  message: 'the other tab wrote first',
};

function outcomeAt(outcomes: Outcome[], index: number): Outcome {
  return outcomes[index] ?? { ok: false, code: 'MISSING', message: 'no outcome recorded' };
}

/** An unconditional rewrite without a lock version. */
async function profileUpdate(step: Step): Promise<void> {
  const session = await read(step);
  if (!session) {
    return;
  }

  const { plan } = step;
  const written = updatedSession(session, step.nowMs, plan.payloadSeed);
  const outcome = await step.checker.both(step.context, upsertCall(written, plan.ttlSeconds));
  if (outcome?.ok) {
    remember(plan.user, plan.sessionId, null);
  }
}

async function logout(step: Step): Promise<void> {
  const { plan } = step;
  const call: StoreCall = {
    method: 'delete',
    text: `delete(${JSON.stringify(plan.sessionId)}, ${showUserId(plan.userId)})`,
    run: (store) => store.delete(plan.sessionId, plan.userId),
  };

  if ((await step.checker.both(step.context, call))?.ok) {
    forget(plan.user, plan.sessionId);
  }
}

/** "Log out everywhere", then "my devices" to see that nothing is left. */
async function logoutEverywhere(step: Step): Promise<void> {
  const { plan } = step;
  if (!(await step.checker.both(step.context, deleteAllCall(plan.userId)))?.ok) {
    return;
  }
  for (const sessionId of [...plan.user.known.keys()]) {
    forget(plan.user, sessionId);
  }
  await listDevices(step, plan.user.aliases.at(-1) ?? plan.userId);
}

/**
 * "Log out everywhere" while another device logs in, both in flight at once. Either order
 * is allowed, but nothing else: afterwards the user has the new session or nothing, and
 * every session from before is gone. The listing says which order the store took; the
 * model replays that order and must list exactly the same.
 */
async function logoutEverywhereDuringLogin(step: Step): Promise<void> {
  const { plan, checker, context } = step;
  const login = loginSession(
    plan.sessionId,
    plan.userId,
    step.nowMs,
    plan.ttlSeconds,
    plan.payloadSeed,
  );
  const upsert = upsertCall({ ...login, lockVersion: undefined }, plan.ttlSeconds);
  const deleteAll = deleteAllCall(plan.userId);
  const listing = getAllCall(plan.user.aliases[0] ?? plan.userId);

  const raced = await Promise.all([checker.onStore(upsert), checker.onStore(deleteAll)]);
  const resolved = raced.every((outcome, index) =>
    checker.agree(context, `${[upsert, deleteAll][index]?.text} (racing)`, outcome, RESOLVED),
  );
  if (!resolved) {
    return;
  }

  const listed = await checker.onStore(listing);
  const order = listsSession(listed, plan.sessionId) ? [deleteAll, upsert] : [upsert, deleteAll];
  for (const call of order) {
    await checker.onModel(call);
  }
  const model = await checker.onModel(listing);
  if (!checker.agree(context, `${listing.text} after the race`, listed, model)) {
    return;
  }
  for (const sessionId of [...plan.user.known.keys()]) {
    forget(plan.user, sessionId);
  }
  if (listsSession(model, plan.sessionId)) {
    remember(plan.user, plan.sessionId, null);
  }
}

const RESOLVED: Outcome = { ok: true, value: undefined };

function listsSession(outcome: Outcome, sessionId: string): boolean {
  return (
    outcome.ok &&
    Array.isArray(outcome.value) &&
    outcome.value.some((session: Session) => session.id === sessionId)
  );
}

/** "My devices": lists the user's sessions and compares them with the model as a set. */
async function listDevices(step: Step, userId: UserId): Promise<void> {
  const { plan } = step;
  const outcome = await step.checker.both(step.context, getAllCall(userId));
  if (!outcome?.ok) {
    return;
  }

  const listed = new Map((outcome.value as Session[]).map((session) => [session.id, session]));
  for (const sessionId of [...plan.user.known.keys(), ...listed.keys()]) {
    learn(plan.user, sessionId, listed.get(sessionId) ?? null);
  }
}

/** An upsert with a time to live the contract rejects: INVALID_ARGUMENT, nothing written. */
async function invalidUpsert(step: Step): Promise<void> {
  const { plan } = step;
  const session = loginSession(plan.sessionId, plan.userId, step.nowMs, 1, plan.payloadSeed);
  await step.checker.both(
    step.context,
    upsertCall({ ...session, lockVersion: undefined }, plan.ttlSeconds),
  );
}

/** An upsert call, printable in a divergence report. */
export function upsertCall(session: Session, ttlSeconds: number): StoreCall {
  const lock = session.lockVersion === undefined ? '' : `, lockVersion ${session.lockVersion}`;
  return {
    method: 'upsert',
    text:
      `upsert({ id: ${JSON.stringify(session.id)}, userId: ${showUserId(session.userId)}${lock} }` +
      `, ${ttlSeconds})`,
    run: (store) => store.upsert(session, ttlSeconds),
  };
}

/** A getAll call, printable in a divergence report. */
export function getAllCall(userId: UserId): StoreCall {
  return {
    method: 'getAll',
    text: `getAll(${showUserId(userId)})`,
    run: (store) => store.getAll(userId),
  };
}

/** A deleteAll call, printable in a divergence report. */
export function deleteAllCall(userId: UserId): StoreCall {
  return {
    method: 'deleteAll',
    text: `deleteAll(${showUserId(userId)})`,
    run: (store) => store.deleteAll(userId),
  };
}

/** A get call, printable in a divergence report. */
export function getCall(sessionId: string, userId: UserId): StoreCall {
  return {
    method: 'get',
    text: `get(${JSON.stringify(sessionId)}, ${showUserId(userId)})`,
    run: (store) => store.get(sessionId, userId),
  };
}

function learn(user: SoakUser, sessionId: string, session: Session | null): void {
  if (session === null) {
    forget(user, sessionId);
    return;
  }
  remember(user, sessionId, session.lockVersion ?? null);
}

function remember(user: SoakUser, sessionId: string, lockVersion: number | null): void {
  const before = user.known.get(sessionId)?.lockVersion;
  if (typeof before === 'number' && before !== lockVersion) {
    const previous = user.previousVersions.get(sessionId) ?? [];
    previous.push(before);
    user.previousVersions.set(sessionId, previous.slice(-MAX_PREVIOUS_VERSIONS));
  }
  user.known.set(sessionId, { lockVersion });
}

function forget(user: SoakUser, sessionId: string): void {
  const before = user.known.get(sessionId)?.lockVersion;
  if (typeof before === 'number') {
    const previous = user.previousVersions.get(sessionId) ?? [];
    previous.push(before);
    user.previousVersions.set(sessionId, previous.slice(-MAX_PREVIOUS_VERSIONS));
  }
  user.known.delete(sessionId);
}

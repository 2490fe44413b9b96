import type { Session } from '@sessionstore/core';
import { forEachLimited } from './measure.js';
import { makeSession, makeSessionId } from './session.js';

/** The operations measured for every adapter, in the order they run and are reported. */
export const OPERATIONS = [
  'getHit',
  'getMiss',
  'upsertNew',
  'upsertCas',
  'delete',
  'getAll10',
  'deleteAll10',
] as const;

/** One measured operation. */
export type OperationName = (typeof OPERATIONS)[number];

/** How each operation is named in tables. */
export const OPERATION_LABELS: Record<OperationName, string> = {
  getHit: 'get (hit)',
  getMiss: 'get (miss)',
  upsertNew: 'upsert (new)',
  upsertCas: 'upsert (CAS update)',
  delete: 'delete',
  getAll10: 'getAll of 10',
  deleteAll10: 'deleteAll of 10',
};

/** How many sessions a user has in the getAll and deleteAll cells. */
export const SESSIONS_PER_USER = 10;

/**
 * What a contender can do, the same job whoever does it. Every method is one call an auth
 * layer would make; `put` writes with the benchmark's time to live.
 */
export interface SessionApi {
  get(sessionId: string, userId: number): Promise<unknown>;
  put(session: Session): Promise<unknown>;
  delete(sessionId: string, userId: number): Promise<unknown>;
  /**
   * Compare-and-set create: stores the session with lock version 1. Without it, the
   * "upsert (CAS update)" cells write with `put`.
   */
  create?(session: Session): Promise<unknown>;
  /** Compare-and-set update of the live copy whose lock version is `session.lockVersion`. */
  update?(session: Session): Promise<unknown>;
  getAll?(userId: number): Promise<unknown[]>;
  deleteAll?(userId: number): Promise<unknown>;
}

/**
 * One contender's work on one operation, reused for every cell of that operation. Data that
 * calls only read is written once; data that calls use up is written again for each cell.
 */
export interface OperationPlan {
  /** Sets up what the next `count` calls need. Not measured. */
  prepare(count: number): Promise<void>;
  /** The measured call; `index` runs from 0 within each cell. */
  call(index: number): Promise<unknown>;
  /** Throws when a call's result shows the plan does not do its job (run on warm-up). */
  check(result: unknown): void;
  /**
   * Removes what the last cell wrote and did not use up, so the backend holds about the same
   * data in every round. `calls` were made, `concurrency` at a time. Not measured.
   */
  finish(calls: number, concurrency: number): Promise<void>;
}

/** What a plan is told when it is made. */
export interface PlanContext {
  /** Makes the plan's session ids its own. */
  tag: string;
  /** The plan's first user id; it may use {@link USERS_PER_PLAN} from there. */
  userBase: number;
  /** Sessions read or updated over and over; a multiple of every concurrency measured. */
  hotSessions: number;
  /** Users of ten sessions each that getAll reads in turn. */
  getAllUsers: number;
}

/** Makes a plan. */
export type PlanFactory = (context: PlanContext) => OperationPlan;

/** How many users one plan may use, from `userBase` on. */
export const USERS_PER_PLAN = 1_000_000;

const WRITE_CONCURRENCY = 32;

/** The plans a {@link SessionApi} supports. */
export function plansFor(api: SessionApi): Partial<Record<OperationName, PlanFactory>> {
  const plans: Partial<Record<OperationName, PlanFactory>> = {
    getHit: (context) => getHitPlan(api, context),
    getMiss: (context) => getMissPlan(api, context),
    upsertNew: (context) => upsertNewPlan(api, context),
    delete: (context) => deletePlan(api, context),
  };
  // A library without compare-and-set does the same refresh as a plain overwrite.
  const { create = api.put, update = api.put, getAll, deleteAll } = api;
  plans.upsertCas = (context) => upsertCasPlan(create, update, context);
  if (getAll !== undefined) {
    plans.getAll10 = (context) => getAllPlan(api, getAll, context);
  }
  if (deleteAll !== undefined) {
    plans.deleteAll10 = (context) => deleteAllPlan(api, deleteAll, context);
  }
  return plans;
}

function sessionsOf(tag: string, firstUser: number, count: number, users: number): Session[] {
  return Array.from({ length: count }, (_, index) =>
    makeSession(makeSessionId(tag, index), firstUser + (index % users)),
  );
}

function putAll(api: SessionApi, sessions: readonly Session[]): Promise<void> {
  return forEachLimited(sessions, WRITE_CONCURRENCY, (session) => api.put(session));
}

function deleteEach(api: SessionApi, sessions: readonly Session[]): Promise<void> {
  return forEachLimited(sessions, WRITE_CONCURRENCY, (session) =>
    api.delete(session.id, session.userId as number),
  );
}

/**
 * The calls of a cell that may have run: every worker stops within one call of the others,
 * so all indexes below `calls - concurrency` ran and none at or above `calls + concurrency`.
 */
function ranBelow(calls: number, concurrency: number): { surely: number; maybe: number } {
  return { surely: Math.max(0, calls - concurrency), maybe: calls + concurrency };
}

const nothingToFinish = async (): Promise<void> => undefined;

function at<T>(items: readonly T[], index: number): T {
  return items[index % items.length] as T;
}

function expectThat(condition: boolean, problem: string): void {
  if (!condition) {
    throw new Error(`the benchmark is not measuring what it claims: ${problem}`);
  }
}

function getHitPlan(api: SessionApi, context: PlanContext): OperationPlan {
  const { tag, userBase, hotSessions } = context;
  const sessions = sessionsOf(tag, userBase, hotSessions, hotSessions);
  let written = false;

  return {
    async prepare() {
      if (!written) {
        await putAll(api, sessions);
        written = true;
      }
    },
    call: (index) => {
      const session = at(sessions, index);
      return api.get(session.id, session.userId as number);
    },
    check: (result) => expectThat(result != null, 'get of a stored session found nothing'),
    finish: nothingToFinish,
  };
}

function getMissPlan(api: SessionApi, { tag, userBase, hotSessions }: PlanContext): OperationPlan {
  const sessionIds = Array.from({ length: hotSessions }, (_, index) => makeSessionId(tag, index));

  return {
    prepare: async () => undefined,
    call: (index) => api.get(at(sessionIds, index), userBase),
    check: (result) => expectThat(result == null, 'get of an absent session found one'),
    finish: nothingToFinish,
  };
}

/** Each cell writes sessions never written before, spread over many users. */
function upsertNewPlan(
  api: SessionApi,
  { tag, userBase, hotSessions }: PlanContext,
): OperationPlan {
  let sessions: Session[] = [];
  let generation = 0;

  return {
    async prepare(count) {
      generation += 1;
      sessions = sessionsOf(`${tag}.${generation}`, userBase, count, hotSessions);
    },
    call: (index) => api.put(at(sessions, index)),
    check: () => undefined,
    finish: (calls, concurrency) =>
      deleteEach(api, sessions.slice(0, ranBelow(calls, concurrency).maybe)),
  };
}

/**
 * Each call updates one of the hot sessions at the version it holds. Their number is a
 * multiple of the concurrency, so two calls on one session never overlap (see `measure`),
 * and a conflict is a fault that stops the run.
 */
function upsertCasPlan(
  create: (session: Session) => Promise<unknown>,
  update: (session: Session) => Promise<unknown>,
  { tag, userBase, hotSessions }: PlanContext,
): OperationPlan {
  const sessions = sessionsOf(tag, userBase, hotSessions, hotSessions);
  let written = false;

  return {
    async prepare() {
      if (written) {
        return;
      }
      await forEachLimited(sessions, WRITE_CONCURRENCY, (session) => create(session));
      for (const session of sessions) {
        session.lockVersion = 1;
      }
      written = true;
    },
    call: async (index) => {
      const session = at(sessions, index);
      await update(session);
      session.lockVersion = (session.lockVersion ?? 0) + 1;
    },
    check: () => undefined,
    finish: nothingToFinish,
  };
}

/** Each cell writes the sessions its calls delete. */
function deletePlan(api: SessionApi, { tag, userBase, hotSessions }: PlanContext): OperationPlan {
  let sessions: Session[] = [];
  let generation = 0;

  return {
    async prepare(count) {
      generation += 1;
      sessions = sessionsOf(`${tag}.${generation}`, userBase, count, hotSessions);
      await putAll(api, sessions);
    },
    call: (index) => {
      const session = at(sessions, index);
      return api.delete(session.id, session.userId as number);
    },
    check: () => undefined,
    finish: (calls, concurrency) =>
      deleteEach(api, sessions.slice(ranBelow(calls, concurrency).surely)),
  };
}

function getAllPlan(
  api: SessionApi,
  getAll: (userId: number) => Promise<unknown[]>,
  { tag, userBase, getAllUsers }: PlanContext,
): OperationPlan {
  const sessions = sessionsOf(tag, userBase, getAllUsers * SESSIONS_PER_USER, getAllUsers);
  let written = false;

  return {
    async prepare() {
      if (!written) {
        await putAll(api, sessions);
        written = true;
      }
    },
    call: (index) => getAll(userBase + (index % getAllUsers)),
    check: (result) =>
      expectThat(
        Array.isArray(result) && result.length === SESSIONS_PER_USER,
        `getAll of a user with ${SESSIONS_PER_USER} sessions did not list exactly those`,
      ),
    finish: nothingToFinish,
  };
}

/** Each cell gives new users ten sessions each, and its calls delete them. */
function deleteAllPlan(
  api: SessionApi,
  deleteAll: (userId: number) => Promise<unknown>,
  { tag, userBase }: PlanContext,
): OperationPlan {
  let firstUser = userBase;
  let nextUser = userBase;
  let users: number[] = [];

  return {
    async prepare(count) {
      firstUser = nextUser;
      nextUser += count;
      if (nextUser > userBase + USERS_PER_PLAN) {
        throw new Error('a deleteAll plan ran out of users; lower the call budget');
      }
      users = Array.from({ length: count }, (_, index) => firstUser + index);
      await putAll(api, sessionsOf(tag, firstUser, count * SESSIONS_PER_USER, count));
    },
    call: (index) => deleteAll(firstUser + index),
    check: () => undefined,
    finish: (calls, concurrency) =>
      forEachLimited(
        users.slice(ranBelow(calls, concurrency).surely),
        WRITE_CONCURRENCY,
        deleteAll,
      ),
  };
}

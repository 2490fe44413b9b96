import type { Session, SessionStore } from '@sessionstore/core';
import {
  describeDifference,
  type Outcome,
  sameOutcome,
  settle,
  showOutcome,
  sortedById,
} from './outcome.js';
import {
  type ActionKind,
  countCall,
  type Method,
  recordDivergence,
  type SoakStats,
} from './stats.js';
import type { SoakUser } from './users.js';

/** A store with every optional method of the contract. */
export type SoakStore = Required<SessionStore<Session>>;

/** One call, runnable on the store under test and on the model alike. */
export interface StoreCall {
  readonly method: Method;
  /** The call with its arguments, for the divergence report. */
  readonly text: string;
  readonly run: (store: SoakStore) => Promise<unknown>;
}

/** Who makes a call, and as part of which action. */
export interface CallContext {
  readonly round: number;
  readonly user: SoakUser;
  readonly action: ActionKind | 'audit';
}

/**
 * Makes each call on the store under test, then on the model, and compares the outcomes.
 * On a mismatch it records a divergence and quarantines the user: from then on the model
 * no longer describes that user's sessions, and more calls would only repeat the report.
 */
export class Checker {
  readonly #store: SoakStore;
  readonly #model: SoakStore;
  readonly #stats: SoakStats;
  readonly #callTimeoutMs: number;

  constructor(store: SoakStore, model: SoakStore, stats: SoakStats, callTimeoutMs: number) {
    this.#store = store;
    this.#model = model;
    this.#stats = stats;
    this.#callTimeoutMs = callTimeoutMs;
  }

  /**
   * Runs `call` on both and compares them.
   *
   * @returns the agreed outcome, or `undefined` after a divergence.
   */
  async both(context: CallContext, call: StoreCall): Promise<Outcome | undefined> {
    const store = await this.onStore(call);
    const model = await this.onModel(call);

    if (!this.agree(context, call.text, store, model)) {
      return undefined;
    }
    return model;
  }

  /** Runs `call` on the store under test only, bounded by the per-call timeout, and counts it. */
  async onStore(call: StoreCall): Promise<Outcome> {
    const outcome = normalise(
      call.method,
      await settle(() => call.run(this.#store), this.#callTimeoutMs),
    );
    countCall(this.#stats, call.method, outcome);
    return outcome;
  }

  /** Runs `call` on the model only. */
  async onModel(call: StoreCall): Promise<Outcome> {
    return normalise(call.method, await settle(() => call.run(this.#model), this.#callTimeoutMs));
  }

  /**
   * Compares two outcomes of one call; on a mismatch records the divergence and
   * quarantines the user.
   */
  agree(context: CallContext, callText: string, store: Outcome, model: Outcome): boolean {
    if (sameOutcome(store, model)) {
      return true;
    }

    this.diverge(
      context,
      callText,
      showOutcome(store),
      showOutcome(model),
      describeDifference(store, model),
    );
    return false;
  }

  /** Counts one action of the workload. */
  countAction(kind: ActionKind): void {
    this.#stats.actions[kind]++;
  }

  /**
   * Calls `prune()` on both. The counts may differ (a backend may drop expired entries on
   * its own), so only the store's outcome is returned for checking; the counts are summed.
   */
  async pruneBoth(): Promise<{ store: Outcome; model: Outcome }> {
    const call: StoreCall = { method: 'prune', text: 'prune()', run: (store) => store.prune() };
    const store = await this.onStore(call);
    const model = await this.onModel(call);

    this.#stats.prunedByStore += store.ok ? Number(store.value) : 0;
    this.#stats.prunedByModel += model.ok ? Number(model.value) : 0;
    return { store, model };
  }

  /** Records a divergence described in words, and quarantines the user. */
  diverge(
    context: CallContext,
    callText: string,
    store: string,
    model: string,
    difference = '',
  ): void {
    recordDivergence(this.#stats, {
      round: context.round,
      user: context.user.key,
      action: context.action,
      call: callText,
      store,
      model,
      difference,
    });
    if (!context.user.quarantined) {
      context.user.quarantined = true;
      this.#stats.quarantinedUsers++;
    }
  }
}

function normalise(method: Method, outcome: Outcome): Outcome {
  return method === 'getAll' && outcome.ok
    ? { ok: true, value: sortedById(outcome.value) }
    : outcome;
}

/**
 * One time bound per call, shared by every call of a store through a single timer.
 *
 * A store bounds each call to its backend by the same number of ms. A `setTimeout` and a
 * `Promise.race` per call cost more client CPU than a fast backend takes to answer, so the
 * calls in flight are kept in start order instead (every call has the same bound, so that is
 * also deadline order), and one timer, armed for the oldest call, wakes only when a call has
 * run out of time. A call that ends unlinks itself in constant time.
 *
 * The timer keeps the process alive while any call is pending, for at most the bound, and
 * not at all once none is: a store whose own connection is unref()ed still lets the process
 * exit when its work is done, while a pending call is always answered or timed out.
 *
 * @example
 * ```ts
 * import { CallTimer } from '@sessionstore/core';
 *
 * const timer = new CallTimer(2000);
 * const controller = new AbortController();
 * const call = timer.start(() => controller.abort());
 * // ... when the backend answers:
 * call.finish();
 * ```
 */
export class CallTimer {
  /** The bound of every call, in ms. */
  readonly timeoutMs: number;
  #oldest: PendingCall | undefined;
  #newest: PendingCall | undefined;
  #pending = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #release = (call: PendingCall): void => this.#remove(call);

  /** @param timeoutMs - the bound of every call, in ms: an integer from 1 to 2^31 - 1. */
  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
  }

  /** How many calls have started and neither finished nor run out of time. */
  get pending(): number {
    return this.#pending;
  }

  /**
   * Starts the bound of one call. `onExpire` runs once, when the bound runs out before
   * {@link TimedCall.finish} is called; it must not throw.
   */
  start(onExpire: () => void): TimedCall {
    const call = new PendingCall(this.#release, performance.now() + this.timeoutMs, onExpire);

    if (this.#newest === undefined) {
      this.#oldest = call;
      this.#keepAlive();
    } else {
      this.#newest.newer = call;
      call.older = this.#newest;
    }
    this.#newest = call;
    this.#pending += 1;
    return call;
  }

  /** Takes a call out of the queue, unless it is out already. */
  #remove(call: PendingCall): void {
    if (call.done) {
      return;
    }

    call.done = true;
    if (call.older === undefined) {
      this.#oldest = call.newer;
    } else {
      call.older.newer = call.newer;
    }
    if (call.newer === undefined) {
      this.#newest = call.older;
    } else {
      call.newer.older = call.older;
    }
    call.older = undefined;
    call.newer = undefined;
    this.#pending -= 1;
    if (this.#pending === 0) {
      // Left armed for the next call, but no longer holding the process open.
      this.#timer?.unref();
    }
  }

  /** Arms the timer for the oldest call, or makes an armed one hold the process open. */
  #keepAlive(): void {
    if (this.#timer === undefined) {
      this.#arm(this.timeoutMs);
    } else {
      this.#timer.ref();
    }
  }

  #arm(delayMs: number): void {
    this.#timer = setTimeout(() => this.#expireDue(), delayMs);
  }

  /**
   * Ends every call whose bound has run out, then waits for the oldest one left. The queue
   * is read afresh after each `onExpire`, which may finish other calls or start new ones.
   */
  #expireDue(): void {
    this.#timer = undefined;
    const nowMs = performance.now();

    // Node runs a timer on its loop's cached clock, which may lag performance.now() by a
    // fraction of a ms: a call due within that is ended now rather than a timer later.
    const dueBeforeMs = nowMs + TIMER_RESOLUTION_MS;
    for (let call = this.#oldest; call !== undefined && call.deadlineMs <= dueBeforeMs; ) {
      this.#remove(call);
      call.expired = true;
      call.onExpire();
      call = this.#oldest;
    }

    const oldest = this.#oldest;
    if (oldest === undefined) {
      return;
    }
    // A call started by an onExpire may have armed a timer for itself; the oldest comes first.
    clearTimeout(this.#timer);
    this.#arm(Math.max(1, Math.ceil(oldest.deadlineMs - nowMs)));
  }
}

/** The resolution of Node's timers, in ms. */
const TIMER_RESOLUTION_MS = 1;

/** The bound of one call, from {@link CallTimer.start}. */
export interface TimedCall {
  /** True once the bound has run out (and `onExpire` has run). */
  readonly expired: boolean;
  /** Ends the bound: `onExpire` will not run. Harmless after the bound ran out. */
  finish(): void;
}

class PendingCall implements TimedCall {
  expired = false;
  done = false;
  older: PendingCall | undefined;
  newer: PendingCall | undefined;

  constructor(
    readonly release: (call: PendingCall) => void,
    readonly deadlineMs: number,
    readonly onExpire: () => void,
  ) {}

  finish(): void {
    this.release(this);
  }
}

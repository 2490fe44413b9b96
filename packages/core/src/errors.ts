/**
 * The stable codes a {@link SessionStoreError} carries. Code on them, never on messages.
 *
 * - `INVALID_ARGUMENT`: a call was given a value the contract does not accept. Nothing was
 *   read or written.
 * - `CONFLICT`: a compare-and-set upsert found a different `lockVersion`, or no live copy.
 *   Nothing was written.
 * - `PAYLOAD_TOO_LARGE`: the encoded session is larger than `maxSessionBytes`.
 * - `UNAVAILABLE`: the backend could not be reached or failed; the call may be retried.
 * - `CORRUPT`: a stored record could not be decoded or verified. Stores report it through
 *   their logger and treat the record as absent rather than throwing it.
 * - `CLOSED`: the store was closed.
 */
export type SessionStoreErrorCode =
  | 'INVALID_ARGUMENT'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNAVAILABLE'
  | 'CORRUPT'
  | 'CLOSED';

/** Every code, for exhaustive checks and documentation. */
export const SESSION_STORE_ERROR_CODES: readonly SessionStoreErrorCode[] = Object.freeze([
  'INVALID_ARGUMENT',
  'CONFLICT',
  'PAYLOAD_TOO_LARGE',
  'UNAVAILABLE',
  'CORRUPT',
  'CLOSED',
]);

/** Options for {@link SessionStoreError}. */
export interface SessionStoreErrorOptions {
  /** The underlying error, usually the driver's. */
  cause?: unknown;
}

/**
 * The one error type every sessionstore package rejects with.
 *
 * @example
 * ```ts
 * try {
 *   await store.upsert(session, 3600);
 * } catch (error) {
 *   if (error instanceof SessionStoreError && error.code === 'CONFLICT') {
 *     // another request refreshed this session first
 *   }
 * }
 * ```
 */
export class SessionStoreError extends Error {
  /** The stable code; see {@link SessionStoreErrorCode}. */
  readonly code: SessionStoreErrorCode;

  /**
   * @param code - the stable code.
   * @param message - a full sentence naming the package and the argument or operation.
   * @param options - `cause`, the underlying error.
   */
  constructor(
    code: SessionStoreErrorCode,
    message: string,
    options: SessionStoreErrorOptions = {},
  ) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'SessionStoreError';
    this.code = code;
  }

  /** True when `error` is a {@link SessionStoreError}, with the given code if one is named. */
  static is(error: unknown, code?: SessionStoreErrorCode): error is SessionStoreError {
    return error instanceof SessionStoreError && (code === undefined || error.code === code);
  }
}

import type { Document } from 'bson';

/** Server error codes this test server replies with, named as MongoDB names them. */
export const ErrorCodes = {
  BadValue: { code: 2, codeName: 'BadValue' },
  FailedToParse: { code: 9, codeName: 'FailedToParse' },
  IllegalOperation: { code: 20, codeName: 'IllegalOperation' },
  NamespaceNotFound: { code: 26, codeName: 'NamespaceNotFound' },
  IndexNotFound: { code: 27, codeName: 'IndexNotFound' },
  CursorNotFound: { code: 43, codeName: 'CursorNotFound' },
  NamespaceExists: { code: 48, codeName: 'NamespaceExists' },
  CommandNotFound: { code: 59, codeName: 'CommandNotFound' },
  ImmutableField: { code: 66, codeName: 'ImmutableField' },
  InvalidOptions: { code: 72, codeName: 'InvalidOptions' },
  InvalidNamespace: { code: 73, codeName: 'InvalidNamespace' },
  IndexOptionsConflict: { code: 85, codeName: 'IndexOptionsConflict' },
  IndexKeySpecsConflict: { code: 86, codeName: 'IndexKeySpecsConflict' },
  DuplicateKey: { code: 11000, codeName: 'DuplicateKey' },
} as const;

/**
 * An error that becomes a server error reply: `{ ok: 0, code, codeName, errmsg }` for a
 * command, or a `writeErrors` entry for one statement of a write.
 */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  readonly code: number;
  readonly codeName: string;
  /** Extra fields for the reply, such as `keyPattern` and `keyValue` of a duplicate key. */
  readonly details: Document;

  constructor(error: { code: number; codeName: string }, message: string, details: Document = {}) {
    super(message);
    this.code = error.code;
    this.codeName = error.codeName;
    this.details = details;
  }
}

/** Turns anything thrown while running a command into a CommandError. */
export function toCommandError(error: unknown): CommandError {
  if (error instanceof CommandError) return error;

  const message = error instanceof Error ? error.message : String(error);
  return new CommandError(ErrorCodes.BadValue, message);
}

/** The reply for a failed command. */
export function errorReply(error: CommandError): Document {
  return {
    ok: 0,
    errmsg: error.message,
    code: error.code,
    codeName: error.codeName,
    ...error.details,
  };
}

/** A `writeErrors` entry for the statement at `index`. */
export function writeErrorEntry(index: number, error: CommandError): Document {
  return { index, code: error.code, errmsg: error.message, ...error.details };
}

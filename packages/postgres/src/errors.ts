import { SessionStoreError } from '@sessionstore/core';
import { QueryTimeoutError } from './deadline.js';

// Node socket errors that mean the server could not be reached or went away.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

// SQLSTATEs of a server that is shutting down or cannot take the connection.
const SERVER_GONE_CODES = new Set(['57P01', '57P02', '57P03', '53300']);

// pg's own messages for a connection that ended or never came up; they carry no code.
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
];

/**
 * Builds the error for a failed call. Every backend failure is `UNAVAILABLE` with the pg
 * error as `cause`. The message names the SQLSTATE or socket code but never quotes the
 * driver's message, so no connection string, host name or password can reach a log through
 * it.
 *
 * @param error - what pg threw.
 * @param store - the package name.
 * @param method - the call, for example `get()`.
 * @param table - the quoted table name, for the hint when it is missing.
 */
export function toPostgresError(
  error: unknown,
  store: string,
  method: string,
  table: string,
): SessionStoreError {
  if (error instanceof SessionStoreError) {
    return error;
  }

  const code = safeCode(error);
  const detail = code === undefined ? '' : ` (${code})`;
  let reason = `PostgreSQL could not complete it${detail}`;
  if (error instanceof QueryTimeoutError) {
    reason = timeoutReason(error);
  } else if (error instanceof Error && error.message === PG_QUERY_TIMEOUT_MESSAGE) {
    reason =
      "PostgreSQL did not answer within the pool's query_timeout; the statement may still " +
      'complete on the server';
  } else if (code === '57014') {
    reason =
      'PostgreSQL cancelled the statement (57014), as it does at statement_timeout or on a ' +
      'cancel request';
  } else if (isConnectionFailure(error)) {
    reason = `the PostgreSQL server could not be reached or closed the connection${detail}`;
  } else if (code === '42P01') {
    reason =
      `the table ${table} does not exist (42P01); create it with createSchemaSql() or ` +
      'leave the createSchema option on';
  } else if (code === '42501') {
    reason =
      `the database role lacks a privilege on ${table} or its schema (42501); grant it, or ` +
      'create the table with createSchemaSql() as a role that may and pass createSchema: false';
  }

  return new SessionStoreError('UNAVAILABLE', `${store}: ${method} failed because ${reason}.`, {
    cause: error,
  });
}

/**
 * True for errors that mean the connection failed rather than the statement: socket
 * errors, connection-class SQLSTATEs (`08xxx`), a server shutting down, and pg's
 * "Connection terminated" errors.
 */
export function isConnectionFailure(error: unknown): boolean {
  const code = safeCode(error);
  if (code !== undefined) {
    if (NETWORK_CODES.has(code) || SERVER_GONE_CODES.has(code) || code.startsWith('08')) {
      return true;
    }
  }

  const message = error instanceof Error ? error.message : '';
  return CONNECTION_MESSAGES.some((known) => message.includes(known));
}

// The error pg gives when its own query_timeout runs out.
const PG_QUERY_TIMEOUT_MESSAGE = 'Query read timeout';

function timeoutReason(error: QueryTimeoutError): string {
  const bound = `within queryTimeoutMs (${error.timeoutMs} ms)`;
  switch (error.phase) {
    case 'connection':
      return `no connection to PostgreSQL was free or could be opened ${bound}; the statement was not sent`;
    case 'schema':
      return `checking for or creating the table did not finish ${bound}; the statement was not sent`;
    case 'statement':
      return `PostgreSQL did not answer ${bound}; the statement may still complete on the server`;
  }
}

function safeCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{1,20}$/.test(code) ? code : undefined;
}

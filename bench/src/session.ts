import { randomBytes } from 'node:crypto';
import { encodeSession, type Session } from '@sessionstore/core';

/** The time to live every benchmark write uses, in seconds. */
export const TTL_SECONDS = 3600;

const THIRTY_DAYS_SECONDS = 30 * 24 * 3600;
const FIFTEEN_MINUTES_SECONDS = 15 * 60;

/**
 * A session shaped like one an auth layer keeps: every field of Charon's session and a small
 * `extraPayload`, about 330 bytes once encoded.
 */
export function makeSession(sessionId: string, userId: number): Session {
  const nowSeconds = Math.floor(Date.now() / 1000);

  return {
    id: sessionId,
    userId,
    type: 'full',
    createdAt: nowSeconds,
    refreshedAt: nowSeconds,
    expiresAt: nowSeconds + THIRTY_DAYS_SECONDS,
    refreshExpiresAt: nowSeconds + THIRTY_DAYS_SECONDS,
    refreshTokenId: randomBytes(12).toString('base64url'),
    tokensFreshFrom: nowSeconds,
    prevTokensFreshFrom: nowSeconds - FIFTEEN_MINUTES_SECONDS,
    extraPayload: { ip: '203.0.113.42', device: 'laptop' },
    version: 1,
  };
}

/** A session id of the usual length: 16 random bytes in base64url, behind a readable tag. */
export function makeSessionId(tag: string, index: number): string {
  return `${tag}.${index}.${randomBytes(12).toString('base64url')}`;
}

/** The encoded size of a typical benchmark session, in bytes. */
export function sessionBytes(): number {
  const session = makeSession(makeSessionId('c1', 1), 1_000_001);
  const text = encodeSession(session, { store: '@sessionstore/bench', method: 'sessionBytes()' });
  return Buffer.byteLength(text, 'utf8');
}

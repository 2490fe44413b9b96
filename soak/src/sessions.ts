import type { Session, UserId } from '@sessionstore/core';
import { Random } from './random.js';

const DEVICES: readonly string[] = [
  'laptop',
  'phone 📱',
  'טאבלט',
  'kiosk\u0000terminal',
  'tv "living room"',
];

/**
 * A new session as an auth layer writes it at login, with a payload that exercises the codec:
 * a `Date`, a `bigint`, a `Uint8Array`, text with U+0000, emoji and right-to-left script, and
 * a property set to `undefined` (which is dropped on write).
 */
export function loginSession(
  id: string,
  userId: UserId,
  nowMs: number,
  ttlSeconds: number,
  payloadSeed: number,
): Session {
  const random = new Random(payloadSeed);
  const nowSeconds = Math.floor(nowMs / 1000);

  return {
    id,
    userId,
    type: random.chance(0.8) ? 'full' : 'remember-me',
    createdAt: nowSeconds,
    refreshedAt: nowSeconds,
    expiresAt: random.chance(0.1) ? 'infinite' : nowSeconds + ttlSeconds,
    refreshExpiresAt: nowSeconds + ttlSeconds,
    refreshTokenId: tokenId(random),
    tokensFreshFrom: nowSeconds,
    prevTokensFreshFrom: 0,
    extraPayload: payload(random, nowMs),
    lockVersion: 0,
    version: 1,
  };
}

/** The session a refresh writes back: new token, times moved on, the read lock version. */
export function refreshedSession(
  read: Session,
  nowMs: number,
  ttlSeconds: number,
  payloadSeed: number,
): Session {
  const random = new Random(payloadSeed);
  const nowSeconds = Math.floor(nowMs / 1000);

  return {
    ...read,
    refreshedAt: nowSeconds,
    refreshExpiresAt: nowSeconds + ttlSeconds,
    refreshTokenId: tokenId(random),
    prevTokensFreshFrom: read.tokensFreshFrom,
    tokensFreshFrom: nowSeconds,
    // A session written without a lock version is refreshed with 1: the store must refuse.
    lockVersion: read.lockVersion ?? 1,
  };
}

/** An unconditional rewrite with new application data, as a profile change might do. */
export function updatedSession(read: Session, nowMs: number, payloadSeed: number): Session {
  const { lockVersion: _dropped, ...rest } = read;
  return { ...rest, extraPayload: payload(new Random(payloadSeed), nowMs) };
}

function tokenId(random: Random): string {
  return `rt-${random.nextUint32().toString(16)}-${random.nextUint32().toString(16)}`;
}

function payload(random: Random, nowMs: number): Record<string, unknown> {
  return {
    device: random.pick(DEVICES),
    seenAt: new Date(nowMs - random.integer(0, 86_400_000)),
    counter: BigInt(random.nextUint32()) * 4_294_967_296n + BigInt(random.nextUint32()),
    fingerprint: Uint8Array.from([0, 1, 2, 3].map(() => random.integer(0, 255))),
    roles: random.chance(0.5) ? ['user'] : ['user', 'admin'],
    note: random.chance(0.3) ? undefined : 'ok',
  };
}

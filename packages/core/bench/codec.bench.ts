import { bench, describe } from 'vitest';
import { decodeSession, encodeSession } from '../src/index.js';

// A session shaped like the ones an auth layer stores: Charon's fields and a small payload.
const session = {
  id: 'b2f9c0d4-7c1e-4d8a-9a51-0e6f2d9b7a13',
  userId: 1_234_567,
  type: 'full',
  createdAt: 1_764_844_800,
  refreshedAt: 1_764_848_400,
  expiresAt: 1_767_436_800,
  refreshExpiresAt: 1_765_449_600,
  refreshTokenId: 'rt_5d1c8e2a9f0b4c6e',
  tokensFreshFrom: 1_764_848_400,
  prevTokensFreshFrom: 1_764_844_800,
  extraPayload: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (X11; Linux x86_64)', mfa: true },
  lockVersion: 3,
  version: 1,
};
const context = { store: 'bench', method: 'upsert()' };
const encoded = encodeSession(session, context);
const plain = JSON.stringify(session);

describe(`codec, one session of ${Buffer.byteLength(encoded)} bytes`, () => {
  bench('encodeSession', () => {
    encodeSession(session, context);
  });
  bench('JSON.stringify (baseline, no validation)', () => {
    JSON.stringify(session);
  });
  bench('decodeSession', () => {
    decodeSession(encoded, context);
  });
  bench('JSON.parse (baseline, no tags)', () => {
    JSON.parse(plain);
  });
});

import { describe, expect, it } from 'vitest';
import { RecordSigner, SessionStoreError } from '../src/index.js';

const text = '{"id":"s1","userId":"42"}';
const expiresAtMs = 1_900_000_000_000;

describe('RecordSigner', () => {
  it('opens what it signed for the same identity, and the record stays JSON', () => {
    const signer = new RecordSigner('secret', 'test');
    const record = signer.sign('42', 's1', text, expiresAtMs);
    expect(JSON.parse(record)).toMatchObject({ expiresAtMs, session: JSON.parse(text) });
    expect(signer.open('42', 's1', record)).toEqual({ text, expiresAtMs });
  });

  it('refuses a record moved to another user or session id', () => {
    const signer = new RecordSigner('secret', 'test');
    const record = signer.sign('42', 's1', text, expiresAtMs);
    expect(signer.open('43', 's1', record)).toBeNull();
    expect(signer.open('42', 's2', record)).toBeNull();
    expect(signer.open('4', '2s1', record)).toBeNull();
  });

  it('refuses a record whose signed expiry was moved', () => {
    const signer = new RecordSigner('secret', 'test');
    const record = signer.sign('42', 's1', text, expiresAtMs);
    const later = record.replace(String(expiresAtMs), String(expiresAtMs + 86_400_000));
    expect(later).not.toBe(record);
    expect(signer.open('42', 's1', later)).toBeNull();
  });

  it('refuses an edited, truncated or unsigned record', () => {
    const signer = new RecordSigner('secret', 'test');
    const record = signer.sign('42', 's1', text, expiresAtMs);
    expect(signer.open('42', 's1', record.replace('s1', 's9'))).toBeNull();
    expect(signer.open('42', 's1', record.slice(0, -2))).toBeNull();
    expect(signer.open('42', 's1', text)).toBeNull();
    expect(signer.open('42', 's1', '')).toBeNull();
  });

  it('refuses every other spelling of the MAC, including its last character', () => {
    const signer = new RecordSigner('secret', 'test');
    const record = signer.sign('42', 's1', text, expiresAtMs);
    const macEnd = '{"hmac":"'.length + 43;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let accepted = 0;
    for (const character of alphabet) {
      const altered = `${record.slice(0, macEnd - 1)}${character}${record.slice(macEnd)}`;
      if (altered !== record && signer.open('42', 's1', altered) !== null) {
        accepted++;
      }
    }
    expect(accepted).toBe(0);
  });

  it('refuses a record signed with another secret', () => {
    const record = new RecordSigner('old', 'test').sign('42', 's1', text, expiresAtMs);
    expect(new RecordSigner('new', 'test').open('42', 's1', record)).toBeNull();
  });

  it('reads records signed with any listed secret and signs with the first', () => {
    const old = new RecordSigner('old', 'test').sign('42', 's1', text, expiresAtMs);
    const rotated = new RecordSigner(['new', Buffer.from('old')], 'test');
    expect(rotated.open('42', 's1', old)?.text).toBe(text);
    const fresh = rotated.sign('42', 's1', text, expiresAtMs);
    expect(new RecordSigner('new', 'test').open('42', 's1', fresh)?.text).toBe(text);
  });

  it.each([[[]], [''], [['ok', '']], [[42]]])('rejects the secrets %j', (secrets) => {
    expect(() => new RecordSigner(secrets as never, '@sessionstore/core')).toThrow(
      SessionStoreError,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { RecordSigner, SessionStoreError } from '../src/index.js';

const text = '{"id":"s1","userId":"42"}';

describe('RecordSigner', () => {
  it('opens what it signed for the same identity, as JSON', () => {
    const signer = new RecordSigner('secret', 'test');
    const record = signer.sign('42', 's1', text);
    expect(JSON.parse(record).session).toEqual(JSON.parse(text));
    expect(signer.open('42', 's1', record)).toBe(text);
  });

  it('refuses a record moved to another user or session id', () => {
    const signer = new RecordSigner('secret', 'test');
    const record = signer.sign('42', 's1', text);
    expect(signer.open('43', 's1', record)).toBeNull();
    expect(signer.open('42', 's2', record)).toBeNull();
    expect(signer.open('4', '2s1', record)).toBeNull();
  });

  it('refuses an edited, truncated or unsigned record', () => {
    const signer = new RecordSigner('secret', 'test');
    const record = signer.sign('42', 's1', text);
    expect(signer.open('42', 's1', record.replace('s1', 's9'))).toBeNull();
    expect(signer.open('42', 's1', record.slice(0, -2))).toBeNull();
    expect(signer.open('42', 's1', text)).toBeNull();
    expect(signer.open('42', 's1', '')).toBeNull();
  });

  it('refuses a record signed with another secret', () => {
    const record = new RecordSigner('old', 'test').sign('42', 's1', text);
    expect(new RecordSigner('new', 'test').open('42', 's1', record)).toBeNull();
  });

  it('reads records signed with any listed secret and signs with the first', () => {
    const old = new RecordSigner('old', 'test').sign('42', 's1', text);
    const rotated = new RecordSigner(['new', Buffer.from('old')], 'test');
    expect(rotated.open('42', 's1', old)).toBe(text);
    const fresh = rotated.sign('42', 's1', text);
    expect(new RecordSigner('new', 'test').open('42', 's1', fresh)).toBe(text);
  });

  it.each([[[]], [''], [['ok', '']], [[42]]])('rejects the secrets %j', (secrets) => {
    expect(() => new RecordSigner(secrets as never, '@sessionstore/core')).toThrow(
      SessionStoreError,
    );
  });
});

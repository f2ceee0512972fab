import { describe, expect, it } from 'vitest';
import { SigningKeySealer } from '../src/realm/signing-key-sealer.js';

const K1 = 'first-key-encryption-key-0123456789abcdef';
const K2 = 'second-key-encryption-key-0123456789abcdef';
const SECRET = 'Z0UBQNpLn-JqL9oC7vpSYgGQo4VgN75BTZlCF-m-Pi0';

describe('SigningKeySealer', () => {
  it('opens what it sealed, with a fresh IV each time, and leaves clear text alone without a key', () => {
    const sealer = new SigningKeySealer([K1]);
    const first = sealer.seal('key_a', SECRET);
    const second = sealer.seal('key_a', SECRET);
    expect(first).not.toBe(second);
    expect(first).not.toContain(SECRET);
    expect(sealer.open('key_a', first)).toBe(SECRET);
    expect(sealer.open('key_a', SECRET)).toBe(SECRET); // a key stored before encryption was on
    expect(new SigningKeySealer([]).seal('key_a', SECRET)).toBe(SECRET);
  });

  it('refuses a sealed value moved to another signing key, or altered', () => {
    const sealer = new SigningKeySealer([K1]);
    const sealed = sealer.seal('key_a', SECRET);
    expect(() => sealer.open('key_b', sealed)).toThrow();
    const parts = sealed.split(':');
    const ciphertext = Buffer.from(parts[4], 'base64url');
    ciphertext[0] ^= 1;
    parts[4] = ciphertext.toString('base64url');
    expect(() => sealer.open('key_a', parts.join(':'))).toThrow();
  });

  it('opens with any listed key, names the one it cannot find, and seals with the first', () => {
    const old = new SigningKeySealer([K1]).seal('key_a', SECRET);
    const rotating = new SigningKeySealer([K2, K1]);
    expect(rotating.open('key_a', old)).toBe(SECRET);
    expect(rotating.seal('key_a', SECRET).startsWith(rotating.currentPrefix!)).toBe(true);
    expect(old.startsWith(rotating.currentPrefix!)).toBe(false);
    expect(() => new SigningKeySealer([K2]).open('key_a', old)).toThrow(/KEY_ENCRYPTION_KEY does not list/);
  });
});

import { describe, expect, it } from 'vitest';
import argon2 from 'argon2';
import { MAX_PASSWORD_BYTES, MIN_PASSWORD_LENGTH, PasswordHasher, checkPasswordShape } from '../src/auth/password.js';
import { rejectedField } from './helpers/domain-errors.js';

const OWASP_PREFIX = '$argon2id$v=19$m=19456,t=2,p=1$';

describe('password shape', () => {
  it('needs at least 8 characters, counted as characters rather than bytes or UTF-16 units', () => {
    expect(MIN_PASSWORD_LENGTH).toBe(8);
    expect(() => checkPasswordShape('12345678')).not.toThrow();
    expect(rejectedField(() => checkPasswordShape('1234567'))).toBe('password');
    expect(rejectedField(() => checkPasswordShape(''))).toBe('password');
    // 4 emoji are 8 UTF-16 units and 16 bytes, but only 4 characters.
    expect(rejectedField(() => checkPasswordShape('🔑🔑🔑🔑'))).toBe('password');
    expect(() => checkPasswordShape('🔑🔑🔑🔑🔑🔑🔑🔑')).not.toThrow();
  });

  it('refuses more than 1024 bytes before any hashing (argon2 cost grows with input)', () => {
    expect(MAX_PASSWORD_BYTES).toBe(1024);
    expect(() => checkPasswordShape('a'.repeat(1024))).not.toThrow();
    expect(rejectedField(() => checkPasswordShape('a'.repeat(1025)))).toBe('password');
    // 342 × '€' is 342 characters but 1026 bytes.
    expect(rejectedField(() => checkPasswordShape('€'.repeat(342)))).toBe('password');
  });

  it('names the field it is given', () => {
    expect(rejectedField(() => checkPasswordShape('short', 'newPassword'))).toBe('newPassword');
  });
});

describe('argon2id hashing', () => {
  const passwords = new PasswordHasher();
  it('hashes with the OWASP profile (argon2id, m=19456, t=2, p=1) and a random salt', async () => {
    const first = await passwords.hash('correct horse battery staple');
    const second = await passwords.hash('correct horse battery staple');
    expect(first.startsWith(OWASP_PREFIX)).toBe(true);
    expect(second.startsWith(OWASP_PREFIX)).toBe(true);
    expect(first).not.toBe(second);
    expect(first).not.toContain('correct horse');
  });

  it('verifies the right password only', async () => {
    const hash = await passwords.hash('correct horse battery staple');
    expect(await passwords.verify(hash, 'correct horse battery staple')).toBe(true);
    expect(await passwords.verify(hash, 'correct horse battery staplE')).toBe(false);
    expect(await passwords.verify(hash, '')).toBe(false);
  });

  it('treats a malformed stored hash as a wrong password instead of throwing', async () => {
    expect(await passwords.verify('not-a-hash', 'whatever1')).toBe(false);
    expect(await passwords.verify('', 'whatever1')).toBe(false);
  });

  it('knows when a hash was made with other parameters', async () => {
    expect(passwords.needsRehash(await passwords.hash('correct horse battery staple'))).toBe(false);
    const weak = await argon2.hash('correct horse battery staple', { type: argon2.argon2id, memoryCost: 8192, timeCost: 1, parallelism: 1 });
    expect(passwords.needsRehash(weak)).toBe(true);
    // Older hashes still verify, so users can log in and be rehashed.
    expect(await passwords.verify(weak, 'correct horse battery staple')).toBe(true);
  });

  it('keeps one dummy hash with today’s parameters for unknown users', async () => {
    const dummy = await passwords.dummyHash();
    expect(dummy.startsWith(OWASP_PREFIX)).toBe(true);
    expect(await passwords.dummyHash()).toBe(dummy);
    expect(await passwords.verify(dummy, 'correct horse battery staple')).toBe(false);
  });
});

describe('another argon2id cost (PASSWORD_HASH_*)', () => {
  // OWASP's m=7 MiB, t=5 profile: as strong as the default, and cheap enough for a test.
  const other = new PasswordHasher({ memoryKib: 7168, iterations: 5, parallelism: 1 });

  it('hashes, and makes its dummy hash, at that cost', async () => {
    const hash = await other.hash('correct horse battery staple');
    expect(hash.startsWith('$argon2id$v=19$m=7168,t=5,p=1$')).toBe(true);
    expect(await other.verify(hash, 'correct horse battery staple')).toBe(true);
    expect((await other.dummyHash()).startsWith('$argon2id$v=19$m=7168,t=5,p=1$')).toBe(true);
  });

  it('wants hashes of any other cost redone, stronger ones too: the operator chose this one', async () => {
    const byDefault = new PasswordHasher();
    expect(other.needsRehash(await byDefault.hash('correct horse battery staple'))).toBe(true);
    expect(byDefault.needsRehash(await other.hash('correct horse battery staple'))).toBe(true);
    expect(other.needsRehash(await other.hash('correct horse battery staple'))).toBe(false);
  });
});

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// Opaque credentials (admin keys, API keys, refresh tokens) carry 256 random bits, so a fast hash
// is enough to store them: there is nothing to brute-force, unlike a password.

export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

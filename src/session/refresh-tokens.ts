import { createHmac } from 'node:crypto';
import { randomSecret, sha256 } from '../auth/opaque-tokens.js';

/** Refresh tokens longer than this are garbage: refused before hashing or any query. */
export const MAX_REFRESH_TOKEN_LENGTH = 256;

export function newRefreshToken(): string {
  return randomSecret(32);
}

export const hashRefreshToken = sha256;

export function newSuccessorSeed(): string {
  return randomSecret(32);
}

/**
 * The token that replaces `token` when it is rotated. It is derived, not stored: two browser tabs
 * that refresh with the same token inside the grace window must both receive the *same* new token
 * (one valid head), and we keep only hashes. The seed is random per rotation and lives only in the
 * database, so a thief holding an old token cannot compute the chain of its successors, and a
 * database leak (seeds and hashes, no tokens) yields no usable token either.
 */
export function successorOf(token: string, seed: string): string {
  return createHmac('sha256', seed).update(token, 'utf8').digest('base64url');
}

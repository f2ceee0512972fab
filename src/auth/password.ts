import { availableParallelism } from 'node:os';
import argon2 from 'argon2';
import { badInput, rateLimited } from '../errors.js';

/** argon2id's cost: memory in KiB, passes, lanes. */
export interface PasswordHashCost {
  memoryKib: number;
  iterations: number;
  parallelism: number;
}

// OWASP's argon2id profile (m=19 MiB, t=2, p=1): ~20–25 ms per verify on our 2-core machines.
// The package defaults (m=64 MiB, t=3, p=4) cost ~130 ms and would cap logins at a few per second.
// Operators pick another with PASSWORD_HASH_* (config.ts); stored hashes follow at the next login.
export const DEFAULT_PASSWORD_HASH_COST: PasswordHashCost = { memoryKib: 19456, iterations: 2, parallelism: 1 };

/**
 * The weakest cost accepted: OWASP's five equivalent argon2id profiles (m=46 MiB t=1 … m=7 MiB t=5)
 * all spend at least 7 MiB × 5 passes of memory traffic per hash.
 */
export const MIN_MEMORY_KIB = 7168;
export const MIN_MEMORY_KIB_PASSES = MIN_MEMORY_KIB * 5;

/** Longer passwords are refused before hashing: argon2 cost grows with input, an easy DoS lever. */
export const MAX_PASSWORD_BYTES = 1024;
export const MIN_PASSWORD_LENGTH = 8;

/** `minLength`: PASSWORD_MIN_LENGTH (never below MIN_PASSWORD_LENGTH), in characters. */
export function checkPasswordShape(password: string, field = 'password', minLength = MIN_PASSWORD_LENGTH): void {
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    throw badInput(field, `Password must be at most ${MAX_PASSWORD_BYTES} bytes`);
  }
  if ([...password].length < minLength) {
    throw badInput(field, `Password must be at least ${minLength} characters`);
  }
}

/**
 * argon2 runs on libuv's thread pool, so it never blocks the event loop — but the pool is shared
 * with DNS and file I/O, and a burst of logins would queue without bound. At most one hash per core
 * runs at once; up to MAX_QUEUED_HASHES wait; beyond that a login is refused at once (RATE_LIMITED)
 * rather than waiting seconds and holding memory.
 */
const HASH_CONCURRENCY = Math.max(1, availableParallelism());
export const MAX_QUEUED_HASHES = 256;
let runningHashes = 0;
const waitingHashes: (() => void)[] = [];

async function withHashSlot<T>(work: () => Promise<T>): Promise<T> {
  if (runningHashes >= HASH_CONCURRENCY) {
    if (waitingHashes.length >= MAX_QUEUED_HASHES) throw rateLimited(1);
    await new Promise<void>((resolve) => waitingHashes.push(resolve));
  } else {
    runningHashes++;
  }
  try {
    return await work();
  } finally {
    const next = waitingHashes.shift();
    if (next)
      next(); // hand the slot over directly
    else runningHashes--;
  }
}

/**
 * Hashes and verifies passwords at one argon2id cost. Every hasher of the process shares the hash
 * slots above: they share the cores.
 */
export class PasswordHasher {
  private readonly options: { type: typeof argon2.argon2id; memoryCost: number; timeCost: number; parallelism: number };
  private dummy: Promise<string> | null = null;

  constructor(readonly cost: PasswordHashCost = DEFAULT_PASSWORD_HASH_COST) {
    this.options = { type: argon2.argon2id, memoryCost: cost.memoryKib, timeCost: cost.iterations, parallelism: cost.parallelism };
  }

  hash(password: string): Promise<string> {
    return withHashSlot(() => argon2.hash(password, this.options));
  }

  verify(hash: string, password: string): Promise<boolean> {
    return withHashSlot(async () => {
      try {
        return await argon2.verify(hash, password);
      } catch {
        return false;
      }
    });
  }

  /** True when a stored hash was made with other parameters than this hasher's (weaker or not). */
  needsRehash(hash: string): boolean {
    // argon2.needsRehash compares version and m/t/p only, not the variant: an argon2i or argon2d
    // hash with today's costs would never become argon2id, the only kind we store
    // (docs/security.md#secrets-at-rest).
    if (!hash.startsWith('$argon2id$')) return true;
    try {
      return argon2.needsRehash(hash, this.options);
    } catch {
      return true; // unparsable: replace it with a sound hash once the password has been verified
    }
  }

  /**
   * A real hash at this hasher's cost, verified when the user does not exist so that an unknown
   * username costs the same time as a wrong password (no user enumeration by timing).
   */
  dummyHash(): Promise<string> {
    // A failure (the hash queue was full) must not be kept: a cached rejection would answer every
    // unknown username with that error from then on — an enumeration oracle and a lockout at once.
    this.dummy ??= this.hash('tessera-dummy-password-for-timing').catch((error: unknown) => {
      this.dummy = null;
      throw error;
    });
    return this.dummy;
  }
}

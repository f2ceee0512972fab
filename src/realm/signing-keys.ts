import { generateKeyPair as generateKeyPairCallback } from 'node:crypto';
import { promisify } from 'node:util';
import type { EntityManager } from '@mikro-orm/postgresql';
import { SigningKey, type JwtAlgorithm } from '../db/entities/index.js';
import { newId } from '../db/ids.js';
import { randomSecret } from '../auth/opaque-tokens.js';
import type { SigningKeySealer } from './signing-key-sealer.js';
import type { TokenLifetimes } from './token-lifetimes.js';

const generateKeyPair = promisify(generateKeyPairCallback);

export const RSA_MODULUS_BITS = 2048;
export const HMAC_SECRET_BYTES = 32;

/**
 * Make a new signing key for a realm (not yet persisted: `em.create(SigningKey, key)` does). HS256 secrets are 256 random bits,
 * written as base64url text: clients pass that string as-is to their JWT library. The secret and the
 * private key are stored sealed when KEY_ENCRYPTION_KEY is set.
 */
export async function generateSigningKey(
  realmId: string,
  algorithm: JwtAlgorithm,
  now: Date,
  sealer: SigningKeySealer,
  lifetimes: TokenLifetimes,
): Promise<SigningKey> {
  const id = newId('key');
  const key: SigningKey = {
    id,
    realmId,
    algorithm,
    createdAt: now,
    retiredAt: null,
    tokenLifetimes: lifetimes,
    verifiesUntil: null,
    secret: null,
    privateKeyPem: null,
    publicKeyPem: null,
  };
  if (algorithm === 'HS256') {
    key.secret = sealer.seal(id, randomSecret(HMAC_SECRET_BYTES));
  } else {
    const pair = await generateKeyPair('rsa', {
      modulusLength: RSA_MODULUS_BITS,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    key.privateKeyPem = sealer.seal(id, pair.privateKey);
    key.publicKeyPem = pair.publicKey;
  }
  return key;
}

/** The key that signs new tokens: the newest one not retired. */
export function findActiveSigningKey(em: EntityManager, realmId: string): Promise<SigningKey | null> {
  return em.findOne(SigningKey, { realmId, retiredAt: null }, { orderBy: { createdAt: 'desc' } });
}

/** Every key of a realm, newest first, retired ones too (an admin's list). */
export function findRealmSigningKeys(em: EntityManager, realmId: string): Promise<SigningKey[]> {
  return em.find(SigningKey, { realmId }, { orderBy: { createdAt: 'desc' } });
}

/** The keys of a realm that may still verify a token at `now`: the JWKS. */
export function findVerifyingSigningKeys(em: EntityManager, realmId: string, now: Date): Promise<SigningKey[]> {
  return em.find(SigningKey, { realmId, $or: [{ verifiesUntil: null }, { verifiesUntil: { $gt: now } }] }, { orderBy: { createdAt: 'desc' } });
}

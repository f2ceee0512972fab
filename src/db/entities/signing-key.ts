import { EntitySchema } from '@mikro-orm/core';
import type { JwtAlgorithm } from './realm.js';
import type { TokenLifetimes } from '../../realm/token-lifetimes.js';

/** One signing key of a realm. `id` is the JWT `kid`. The newest unretired key signs. */
export class SigningKey {
  id!: string;
  realmId!: string;
  algorithm!: JwtAlgorithm;
  /** HS256 shared secret (a base64url string whose UTF-8 bytes are the HMAC key). */
  secret!: string | null;
  privateKeyPem!: string | null;
  publicKeyPem!: string | null;
  createdAt!: Date;
  /**
   * When it stopped signing (a newer key took over). It keeps verifying tokens it signed before
   * then (within the rotation grace), until `verifiesUntil`.
   */
  retiredAt!: Date | null;
  /** How long the tokens it signed may live, by kind (src/realm/token-lifetimes.ts). */
  tokenLifetimes!: TokenLifetimes;
  /** After this it verifies nothing and leaves the JWKS; null: no deadline (signing, or open-ended tokens). */
  verifiesUntil!: Date | null;
}

export const SigningKeySchema = new EntitySchema<SigningKey>({
  class: SigningKey,
  tableName: 'signing_key',
  properties: {
    id: { type: 'string', primary: true },
    realmId: { type: 'string' },
    algorithm: { type: 'string' },
    secret: { type: 'text', nullable: true },
    privateKeyPem: { type: 'text', nullable: true },
    publicKeyPem: { type: 'text', nullable: true },
    createdAt: { type: 'Date' },
    retiredAt: { type: 'Date', nullable: true },
    tokenLifetimes: { type: 'json' },
    verifiesUntil: { type: 'Date', nullable: true },
  },
});

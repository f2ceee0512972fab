import { EntitySchema } from '@mikro-orm/core';
import type { JwtAlgorithm } from './realm.js';

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
  /** Set when a newer key takes over; the key keeps verifying tokens it signed. */
  retiredAt!: Date | null;
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
  },
});

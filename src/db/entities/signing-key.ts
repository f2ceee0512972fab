import { defineEntity, type InferEntity } from '@mikro-orm/core';
import type { JwtAlgorithm } from './realm.js';

/** One signing key of a realm. `id` is the JWT `kid`. The newest unretired key signs. */
export const SigningKey = defineEntity({
  name: 'SigningKey',
  tableName: 'signing_key',
  properties: (p) => ({
    id: p.string().primary(),
    realmId: p.string(),
    algorithm: p.string().$type<JwtAlgorithm>(),
    /** HS256 shared secret (a base64url string whose UTF-8 bytes are the HMAC key). */
    secret: p.text().nullable(),
    privateKeyPem: p.text().nullable(),
    publicKeyPem: p.text().nullable(),
    createdAt: p.datetime(),
    /** Set when a newer key takes over; the key keeps verifying tokens it signed. */
    retiredAt: p.datetime().nullable(),
  }),
});
export type SigningKey = InferEntity<typeof SigningKey>;

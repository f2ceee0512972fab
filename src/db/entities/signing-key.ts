import { defineEntity, type InferEntity } from '@mikro-orm/core';
import type { JwtAlgorithm } from './realm.js';
import type { TokenLifetimes } from '../../realm/token-lifetimes.js';

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
    /**
     * When it stopped signing (a newer key took over). It keeps verifying tokens it signed before
     * then (within the rotation grace), until `verifiesUntil`.
     */
    retiredAt: p.datetime().nullable(),
    /** How long the tokens it signed may live, by kind (src/realm/token-lifetimes.ts). */
    tokenLifetimes: p.json<TokenLifetimes>(),
    /** After this it verifies nothing and leaves the JWKS; null: no deadline (signing, or open-ended tokens). */
    verifiesUntil: p.datetime().nullable(),
  }),
});
export type SigningKey = InferEntity<typeof SigningKey>;

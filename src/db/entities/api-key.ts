import { defineEntity, type InferEntity } from '@mikro-orm/core';

/** An API user's login key. Only the SHA-256 of the key is stored (the key has 256 random bits). */
export const ApiKey = defineEntity({
  name: 'ApiKey',
  tableName: 'api_key',
  properties: (p) => ({
    id: p.string().primary(),
    realmId: p.string(),
    userId: p.string(),
    keyHash: p.string(),
    createdAt: p.datetime(),
    lastUsedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
  }),
});
export type ApiKey = InferEntity<typeof ApiKey>;

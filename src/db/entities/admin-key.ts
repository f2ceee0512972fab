import { defineEntity, type InferEntity } from '@mikro-orm/core';

export const ADMIN_SCOPES = ['REALMS_MANAGE', 'REALMS_READ', 'USERS_MANAGE', 'USERS_READ', 'SESSIONS_READ', 'SESSIONS_TERMINATE', 'ADMIN_KEYS_MANAGE'] as const;
export type AdminScope = (typeof ADMIN_SCOPES)[number];

/** An operator credential. Only the SHA-256 of the key is stored; the key is shown once. */
export const AdminKey = defineEntity({
  name: 'AdminKey',
  tableName: 'admin_key',
  properties: (p) => ({
    id: p.string().primary(),
    /** Unique among live keys (a revoked key's name may be given again). */
    name: p.string(),
    keyHash: p.string(),
    scopes: p.json<AdminScope[]>(),
    /** When set, the key reaches this realm only. */
    realmId: p.string().nullable(),
    createdAt: p.datetime(),
    lastUsedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
  }),
});
export type AdminKey = InferEntity<typeof AdminKey>;

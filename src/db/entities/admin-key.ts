import { EntitySchema } from '@mikro-orm/core';

export const ADMIN_SCOPES = ['REALMS_MANAGE', 'REALMS_READ', 'USERS_MANAGE', 'USERS_READ', 'SESSIONS_READ', 'SESSIONS_TERMINATE'] as const;
export type AdminScope = (typeof ADMIN_SCOPES)[number];

/** An operator credential. Only the SHA-256 of the key is stored; the key is shown once. */
export class AdminKey {
  id!: string;
  name!: string;
  keyHash!: string;
  scopes!: AdminScope[];
  /** When set, the key reaches this realm only. */
  realmId!: string | null;
  createdAt!: Date;
  lastUsedAt!: Date | null;
  revokedAt!: Date | null;
}

export const AdminKeySchema = new EntitySchema<AdminKey>({
  class: AdminKey,
  tableName: 'admin_key',
  properties: {
    id: { type: 'string', primary: true },
    name: { type: 'string' },
    keyHash: { type: 'string' },
    scopes: { type: 'json' },
    realmId: { type: 'string', nullable: true },
    createdAt: { type: 'Date' },
    lastUsedAt: { type: 'Date', nullable: true },
    revokedAt: { type: 'Date', nullable: true },
  },
});

import { EntitySchema } from '@mikro-orm/core';

/** An API user's login key. Only the SHA-256 of the key is stored (the key has 256 random bits). */
export class ApiKey {
  id!: string;
  realmId!: string;
  userId!: string;
  keyHash!: string;
  createdAt!: Date;
  lastUsedAt!: Date | null;
  revokedAt!: Date | null;
}

export const ApiKeySchema = new EntitySchema<ApiKey>({
  class: ApiKey,
  tableName: 'api_key',
  properties: {
    id: { type: 'string', primary: true },
    realmId: { type: 'string' },
    userId: { type: 'string' },
    keyHash: { type: 'string' },
    createdAt: { type: 'Date' },
    lastUsedAt: { type: 'Date', nullable: true },
    revokedAt: { type: 'Date', nullable: true },
  },
});

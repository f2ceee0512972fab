import { defineEntity, type InferEntity } from '@mikro-orm/core';
import type { JsonObject } from './user.js';

export const Org = defineEntity({
  name: 'Org',
  tableName: 'org',
  properties: (p) => ({
    id: p.string().primary(),
    realmId: p.string(),
    name: p.string(),
    customAttributes: p.json<JsonObject>(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  }),
});
export type Org = InferEntity<typeof Org>;

export const Membership = defineEntity({
  name: 'Membership',
  tableName: 'membership',
  properties: (p) => ({
    id: p.string().primary(),
    realmId: p.string(),
    userId: p.string(),
    /** null = a realm-wide membership */
    orgId: p.string().nullable(),
    permissions: p.json<string[]>(),
    customAttributes: p.json<JsonObject>(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  }),
});
export type Membership = InferEntity<typeof Membership>;

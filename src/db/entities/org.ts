import { EntitySchema } from '@mikro-orm/core';
import type { JsonObject } from './user.js';

export class Org {
  id!: string;
  realmId!: string;
  name!: string;
  customAttributes!: JsonObject;
  createdAt!: Date;
  updatedAt!: Date;
}

export const OrgSchema = new EntitySchema<Org>({
  class: Org,
  tableName: 'org',
  properties: {
    id: { type: 'string', primary: true },
    realmId: { type: 'string' },
    name: { type: 'string' },
    customAttributes: { type: 'json' },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
  },
});

export class Membership {
  id!: string;
  realmId!: string;
  userId!: string;
  /** null = a realm-wide membership */
  orgId!: string | null;
  permissions!: string[];
  customAttributes!: JsonObject;
  createdAt!: Date;
  updatedAt!: Date;
}

export const MembershipSchema = new EntitySchema<Membership>({
  class: Membership,
  tableName: 'membership',
  properties: {
    id: { type: 'string', primary: true },
    realmId: { type: 'string' },
    userId: { type: 'string' },
    orgId: { type: 'string', nullable: true },
    permissions: { type: 'json' },
    customAttributes: { type: 'json' },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
  },
});

import { EntitySchema } from '@mikro-orm/core';

export const USER_KINDS = ['HUMAN', 'API'] as const;
export type UserKind = (typeof USER_KINDS)[number];
export type JsonObject = Record<string, unknown>;

export class User {
  id!: string;
  realmId!: string;
  kind!: UserKind;
  username!: string;
  /** lower(username): the case-insensitive unique key inside a realm */
  usernameKey!: string;
  email!: string | null;
  firstName!: string | null;
  lastName!: string | null;
  customAttributes!: JsonObject;
  disabled!: boolean;
  passwordHash!: string | null;
  createdAt!: Date;
  updatedAt!: Date;
  lastLoginAt!: Date | null;
}

export const UserSchema = new EntitySchema<User>({
  class: User,
  tableName: 'app_user',
  properties: {
    id: { type: 'string', primary: true },
    realmId: { type: 'string' },
    kind: { type: 'string' },
    username: { type: 'string' },
    usernameKey: { type: 'string' },
    email: { type: 'string', nullable: true },
    firstName: { type: 'string', nullable: true },
    lastName: { type: 'string', nullable: true },
    customAttributes: { type: 'json' },
    disabled: { type: 'boolean' },
    passwordHash: { type: 'text', nullable: true, lazy: false },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
    lastLoginAt: { type: 'Date', nullable: true },
  },
});

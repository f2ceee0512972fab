import { defineEntity, type InferEntity } from '@mikro-orm/core';

export const USER_KINDS = ['HUMAN', 'API'] as const;
export type UserKind = (typeof USER_KINDS)[number];
export type JsonObject = Record<string, unknown>;

export const User = defineEntity({
  name: 'User',
  tableName: 'app_user',
  properties: (p) => ({
    id: p.string().primary(),
    realmId: p.string(),
    kind: p.string().$type<UserKind>(),
    username: p.string(),
    /** lower(username): the case-insensitive unique key inside a realm */
    usernameKey: p.string(),
    email: p.string().nullable(),
    firstName: p.string().nullable(),
    lastName: p.string().nullable(),
    customAttributes: p.json<JsonObject>(),
    disabled: p.boolean(),
    passwordHash: p.text().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    lastLoginAt: p.datetime().nullable(),
  }),
});
export type User = InferEntity<typeof User>;

import { defineEntity, type InferEntity } from '@mikro-orm/core';

export const JWT_ALGORITHMS = ['HS256', 'RS256'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];
export const JWT_FIELDS = ['MEMBERSHIPS', 'ORGS', 'CUSTOM_ATTRIBUTES'] as const;
export type JwtField = (typeof JWT_FIELDS)[number];
export const SESSION_TYPES = ['MANAGED', 'UNMANAGED'] as const;
export type SessionType = (typeof SESSION_TYPES)[number];

export const Realm = defineEntity({
  name: 'Realm',
  tableName: 'realm',
  properties: (p) => ({
    id: p.string().primary(),
    name: p.string(),
    jwtAlgorithm: p.string().$type<JwtAlgorithm>(),
    jwtFields: p.json<JwtField[]>(),
    sessionType: p.string().$type<SessionType>(),
    /** null = open-ended (UNMANAGED only) */
    sessionMinutes: p.integer().nullable(),
    apiKeyMinutes: p.integer().nullable(),
    accessTokenSeconds: p.integer(),
    idleTimeoutSeconds: p.integer().nullable(),
    maxActiveSessions: p.integer(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  }),
});
export type Realm = InferEntity<typeof Realm>;

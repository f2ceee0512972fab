import { EntitySchema } from '@mikro-orm/core';

export const JWT_ALGORITHMS = ['HS256', 'RS256'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];
export const JWT_FIELDS = ['MEMBERSHIPS', 'ORGS', 'CUSTOM_ATTRIBUTES'] as const;
export type JwtField = (typeof JWT_FIELDS)[number];
export const SESSION_TYPES = ['MANAGED', 'UNMANAGED'] as const;
export type SessionType = (typeof SESSION_TYPES)[number];

export class Realm {
  id!: string;
  name!: string;
  jwtAlgorithm!: JwtAlgorithm;
  jwtFields!: JwtField[];
  sessionType!: SessionType;
  /** null = open-ended (UNMANAGED only) */
  sessionMinutes!: number | null;
  apiKeyMinutes!: number | null;
  accessTokenSeconds!: number;
  idleTimeoutSeconds!: number | null;
  maxActiveSessions!: number;
  createdAt!: Date;
  updatedAt!: Date;
}

export const RealmSchema = new EntitySchema<Realm>({
  class: Realm,
  tableName: 'realm',
  properties: {
    id: { type: 'string', primary: true },
    name: { type: 'string' },
    jwtAlgorithm: { type: 'string' },
    jwtFields: { type: 'json' },
    sessionType: { type: 'string' },
    sessionMinutes: { type: 'integer', nullable: true },
    apiKeyMinutes: { type: 'integer', nullable: true },
    accessTokenSeconds: { type: 'integer' },
    idleTimeoutSeconds: { type: 'integer', nullable: true },
    maxActiveSessions: { type: 'integer' },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
  },
});

import { defineEntity, type InferEntity } from '@mikro-orm/core';

export const SESSION_STATES = ['ACTIVE', 'TERMINATED', 'EXPIRED'] as const;
export type SessionState = (typeof SESSION_STATES)[number];
export const TERMINATION_REASONS = [
  'LOGOUT',
  'TERMINATED_BY_USER',
  'TERMINATED_BY_ADMIN',
  'EVICTED',
  'EXPIRED',
  'IDLE_TIMEOUT',
  'PASSWORD_CHANGED',
  'USER_DISABLED',
  'USER_DELETED',
  'REFRESH_TOKEN_REUSED',
] as const;
export type TerminationReason = (typeof TERMINATION_REASONS)[number];

/**
 * A managed session. Settings that shape it (access-token lifespan, idle timeout) are copied from
 * the realm at login, because realm changes apply only to sessions created afterwards.
 */
export const Session = defineEntity({
  name: 'Session',
  tableName: 'session',
  properties: (p) => ({
    id: p.string().primary(),
    realmId: p.string(),
    userId: p.string(),
    state: p.string().$type<SessionState>(),
    createdAt: p.datetime(),
    lastActiveAt: p.datetime(),
    expiresAt: p.datetime(),
    idleTimeoutSeconds: p.integer().nullable(),
    idleExpiresAt: p.datetime().nullable(),
    accessTokenSeconds: p.integer(),
    ip: p.string().nullable(),
    userAgent: p.text().nullable(),
    app: p.string().nullable(),
    terminatedAt: p.datetime().nullable(),
    terminationReason: p.string().nullable(),
  }),
});
export type Session = InferEntity<typeof Session>;

/**
 * Every refresh token a session ever had, by SHA-256. Keeping the spent ones is what lets us tell a
 * replayed (stolen) token from garbage and end the session when one comes back.
 */
export const RefreshToken = defineEntity({
  name: 'RefreshToken',
  tableName: 'refresh_token',
  properties: (p) => ({
    tokenHash: p.string().primary(),
    sessionId: p.string(),
    realmId: p.string(),
    createdAt: p.datetime(),
    /** When it was exchanged for its successor; null = the session's current head. */
    rotatedAt: p.datetime().nullable(),
    /** Random per rotation: the successor token is HMAC(seed, this token), see refresh-tokens.ts. */
    successorSeed: p.string().nullable(),
  }),
});
export type RefreshToken = InferEntity<typeof RefreshToken>;

import { EntitySchema } from '@mikro-orm/core';

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
  'REFRESH_TOKEN_REUSED',
] as const;
export type TerminationReason = (typeof TERMINATION_REASONS)[number];

/**
 * A managed session. Settings that shape it (access-token lifespan, idle timeout) are copied from
 * the realm at login, because realm changes apply only to sessions created afterwards.
 */
export class Session {
  id!: string;
  realmId!: string;
  userId!: string;
  state!: SessionState;
  createdAt!: Date;
  lastActiveAt!: Date;
  expiresAt!: Date;
  idleTimeoutSeconds!: number | null;
  idleExpiresAt!: Date | null;
  accessTokenSeconds!: number;
  ip!: string | null;
  userAgent!: string | null;
  app!: string | null;
  terminatedAt!: Date | null;
  terminationReason!: string | null;
}

export const SessionSchema = new EntitySchema<Session>({
  class: Session,
  tableName: 'session',
  properties: {
    id: { type: 'string', primary: true },
    realmId: { type: 'string' },
    userId: { type: 'string' },
    state: { type: 'string' },
    createdAt: { type: 'Date' },
    lastActiveAt: { type: 'Date' },
    expiresAt: { type: 'Date' },
    idleTimeoutSeconds: { type: 'integer', nullable: true },
    idleExpiresAt: { type: 'Date', nullable: true },
    accessTokenSeconds: { type: 'integer' },
    ip: { type: 'string', nullable: true },
    userAgent: { type: 'text', nullable: true },
    app: { type: 'string', nullable: true },
    terminatedAt: { type: 'Date', nullable: true },
    terminationReason: { type: 'string', nullable: true },
  },
});

/**
 * Every refresh token a session ever had, by SHA-256. Keeping the spent ones is what lets us tell a
 * replayed (stolen) token from garbage and end the session when one comes back.
 */
export class RefreshToken {
  tokenHash!: string;
  sessionId!: string;
  realmId!: string;
  createdAt!: Date;
  /** When it was exchanged for its successor; null = the session's current head. */
  rotatedAt!: Date | null;
  /** Random per rotation: the successor token is HMAC(seed, this token), see refresh-tokens.ts. */
  successorSeed!: string | null;
}

export const RefreshTokenSchema = new EntitySchema<RefreshToken>({
  class: RefreshToken,
  tableName: 'refresh_token',
  properties: {
    tokenHash: { type: 'string', primary: true },
    sessionId: { type: 'string' },
    realmId: { type: 'string' },
    createdAt: { type: 'Date' },
    rotatedAt: { type: 'Date', nullable: true },
    successorSeed: { type: 'string', nullable: true },
  },
});

import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditEvent } from '../db/entities/index.js';
import { newTimeOrderedId } from '../db/ids.js';

export type AuditEventType =
  | 'REALM_CREATED'
  | 'REALM_UPDATED'
  | 'REALM_KEY_ROTATED'
  | 'REALM_KEY_RETIRED'
  | 'USER_CREATED'
  | 'USER_UPDATED'
  | 'USER_DELETED'
  | 'ORG_DELETED'
  | 'REALM_DELETED'
  | 'PASSWORD_CHANGED'
  | 'API_KEY_CREATED'
  | 'API_KEY_REVOKED'
  | 'LOGIN_SUCCEEDED'
  | 'LOGIN_FAILED'
  | 'SESSION_REFRESHED'
  | 'SESSION_TERMINATED'
  | 'REFRESH_TOKEN_REUSED'
  | 'ADMIN_KEY_CREATED'
  | 'ADMIN_KEY_REVOKED';

export interface AuditEntry {
  realmId: string | null;
  type: AuditEventType;
  actor: string;
  userId?: string | null;
  sessionId?: string | null;
  reason?: string | null;
  ip?: string | null;
  data?: Record<string, unknown>;
  at: Date;
}

/**
 * Queue an audit row on this EntityManager: it is written by the same flush/transaction as the
 * change it records, so the log never claims what did not happen (or misses what did).
 */
export function recordAudit(em: EntityManager, entry: AuditEntry): void {
  em.create(AuditEvent, {
    id: newTimeOrderedId('aud'),
    realmId: entry.realmId,
    type: entry.type,
    actor: entry.actor,
    userId: entry.userId ?? null,
    sessionId: entry.sessionId ?? null,
    reason: entry.reason ?? null,
    ip: entry.ip ?? null,
    data: entry.data ?? {},
    createdAt: entry.at,
  });
}

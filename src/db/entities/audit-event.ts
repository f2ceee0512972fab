import { EntitySchema } from '@mikro-orm/core';

/** Append-only record of security-relevant events, written in the transaction of the change. */
export class AuditEvent {
  id!: string;
  realmId!: string | null;
  type!: string;
  /** Who did it: 'user:<id>', 'admin:<keyId>', 'system', 'anonymous'. */
  actor!: string;
  userId!: string | null;
  sessionId!: string | null;
  reason!: string | null;
  ip!: string | null;
  data!: Record<string, unknown>;
  createdAt!: Date;
}

export const AuditEventSchema = new EntitySchema<AuditEvent>({
  class: AuditEvent,
  tableName: 'audit_event',
  properties: {
    id: { type: 'string', primary: true },
    realmId: { type: 'string', nullable: true },
    type: { type: 'string' },
    actor: { type: 'string' },
    userId: { type: 'string', nullable: true },
    sessionId: { type: 'string', nullable: true },
    reason: { type: 'string', nullable: true },
    ip: { type: 'string', nullable: true },
    data: { type: 'json' },
    createdAt: { type: 'Date' },
  },
});

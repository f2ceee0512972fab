import { defineEntity, type InferEntity } from '@mikro-orm/core';

/** Append-only record of security-relevant events, written in the transaction of the change. */
export const AuditEvent = defineEntity({
  name: 'AuditEvent',
  tableName: 'audit_event',
  properties: (p) => ({
    id: p.string().primary(),
    realmId: p.string().nullable(),
    type: p.string(),
    /** Who did it: 'user:<id>', 'admin:<keyId>', 'system', 'anonymous'. */
    actor: p.string(),
    userId: p.string().nullable(),
    sessionId: p.string().nullable(),
    reason: p.string().nullable(),
    ip: p.string().nullable(),
    data: p.json<Record<string, unknown>>(),
    createdAt: p.datetime(),
  }),
});
export type AuditEvent = InferEntity<typeof AuditEvent>;

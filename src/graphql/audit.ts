import { builder } from './builder.js';
import { AuditEvent } from '../db/entities/index.js';
import { connectionOf, pageArgs } from './connection.js';

const AuditEventRef = builder.objectRef<AuditEvent>('AuditEvent').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    type: t.exposeString('type'),
    actor: t.exposeString('actor', { description: "'user:<id>', 'admin:<keyId>', 'system' or 'anonymous'" }),
    userId: t.exposeID('userId', { nullable: true }),
    sessionId: t.exposeID('sessionId', { nullable: true }),
    reason: t.exposeString('reason', { nullable: true }),
    ip: t.exposeString('ip', { nullable: true }),
    data: t.field({ type: 'JSONObject', resolve: (e) => e.data ?? {} }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const AuditEventConnection = connectionOf('AuditEvent', AuditEventRef);

builder.queryFields((t) => ({
  auditEvents: t.field({
    type: AuditEventConnection,
    description: 'The audit trail of a realm, newest first (REALMS_READ).',
    args: {
      realmId: t.arg.id({ required: true }),
      type: t.arg.string({ required: false }),
      userId: t.arg.id({ required: false }),
      sessionId: t.arg.id({ required: false }),
      ...pageArgs(t.arg),
    },
    resolve: async (_root, args, ctx) =>
      ctx.services.audit.listAuditEvents(await ctx.caller(), {
        ...args,
        realmId: String(args.realmId),
        userId: args.userId ? String(args.userId) : null,
        sessionId: args.sessionId ? String(args.sessionId) : null,
      }),
  }),
}));

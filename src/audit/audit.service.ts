import type { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import { AuditEvent, Realm } from '../db/entities/index.js';
import { notFound } from '../errors.js';
import type { Caller } from '../auth/caller.js';
import { requireRealmScope } from '../auth/access.js';
import { paginate, type Connection, type PageArgs } from '../db/pagination.js';

export class AuditService {
  constructor(private readonly deps: { em: EntityManager }) {}

  /** The audit trail of a realm, newest first. Security data: admins with REALMS_READ only. */
  async listAuditEvents(
    caller: Caller,
    args: { realmId: string; type?: string | null; userId?: string | null; sessionId?: string | null } & PageArgs,
  ): Promise<Connection<AuditEvent>> {
    requireRealmScope(caller, args.realmId, 'REALMS_READ');
    if (!(await this.deps.em.findOne(Realm, { id: args.realmId }))) throw notFound('Realm');
    const where: FilterQuery<AuditEvent> = { realmId: args.realmId };
    if (args.type) where.type = args.type;
    if (args.userId) where.userId = args.userId;
    if (args.sessionId) where.sessionId = args.sessionId;
    return paginate(this.deps.em, AuditEvent, where, args);
  }
}

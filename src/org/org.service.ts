import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { Membership, Org, Realm, User } from '../db/entities/index.js';
import { newId } from '../db/ids.js';
import { badInput, notFound } from '../errors.js';
import type { Clock } from '../clock.js';
import { actorOf, type Caller } from '../auth/caller.js';
import { recordAudit } from '../audit/audit-log.js';
import { missingInReach, realmFilter, requireRealmScope } from '../auth/access.js';
import { paginate, type Connection, type PageArgs } from '../db/pagination.js';
import { checkCustomAttributes, checkPermissions, checkRequiredText, isWellFormedId } from '../input-rules.js';

export interface OrgServiceDeps {
  em: EntityManager;
  clock: Clock;
}

export class OrgService {
  constructor(private readonly deps: OrgServiceDeps) {}

  private async findOrg(caller: Caller, id: string, scope: 'USERS_READ' | 'USERS_MANAGE'): Promise<Org> {
    if (!isWellFormedId(id)) return missingInReach(caller, scope, 'Org');
    const realmId = realmFilter(caller);
    const org = (await this.deps.em.findOne(Org, realmId ? { id, realmId } : { id })) ?? missingInReach(caller, scope, 'Org');
    requireRealmScope(caller, org.realmId, scope, 'Org');
    return org;
  }

  getOrg(caller: Caller, id: string): Promise<Org> {
    return this.findOrg(caller, id, 'USERS_READ');
  }

  async listOrgs(caller: Caller, realmId: string, page: PageArgs): Promise<Connection<Org>> {
    requireRealmScope(caller, realmId, 'USERS_READ');
    if (!(await this.deps.em.findOne(Realm, { id: realmId }))) throw notFound('Realm');
    return paginate(this.deps.em, Org, { realmId }, page);
  }

  async createOrg(caller: Caller, input: { realmId: string; name: string; customAttributes?: unknown }): Promise<Org> {
    requireRealmScope(caller, input.realmId, 'USERS_MANAGE');
    if (!(await this.deps.em.findOne(Realm, { id: input.realmId }))) throw notFound('Realm');
    const name = checkRequiredText(input.name, 'name');
    const customAttributes = checkCustomAttributes(input.customAttributes);
    const now = this.deps.clock.now();
    const org = this.deps.em.create(Org, { id: newId('org'), realmId: input.realmId, name, customAttributes, createdAt: now, updatedAt: now });
    await this.deps.em.flush();
    return org;
  }

  async updateOrg(caller: Caller, id: string, input: { name?: string | null; customAttributes?: unknown }): Promise<Org> {
    const org = await this.findOrg(caller, id, 'USERS_MANAGE');
    if (input.name !== undefined) org.name = checkRequiredText(input.name, 'name');
    if (input.customAttributes !== undefined) org.customAttributes = checkCustomAttributes(input.customAttributes);
    org.updatedAt = this.deps.clock.now();
    await this.deps.em.flush();
    return org;
  }

  /**
   * Delete an org and its memberships (the foreign key cascades), with an audit row, in one
   * transaction. Its members' sessions go on: a token's membership claims are a snapshot of its
   * login or refresh, and the next refresh no longer carries the org.
   */
  async deleteOrg(caller: Caller, id: string): Promise<boolean> {
    const org = await this.findOrg(caller, id, 'USERS_MANAGE');
    const now = this.deps.clock.now();
    await this.deps.em.transactional(async (em) => {
      const members = await em.count(Membership, { realmId: org.realmId, orgId: org.id });
      recordAudit(em, {
        realmId: org.realmId,
        type: 'ORG_DELETED',
        actor: actorOf(caller),
        ip: caller.ip,
        at: now,
        data: { orgId: org.id, name: org.name, members },
      });
      await em.flush();
      await em.nativeDelete(Org, { id: org.id, realmId: org.realmId });
    });
    return true;
  }

  private async findMembership(caller: Caller, id: string, scope: 'USERS_READ' | 'USERS_MANAGE'): Promise<Membership> {
    if (!isWellFormedId(id)) return missingInReach(caller, scope, 'Membership');
    const realmId = realmFilter(caller);
    const membership = (await this.deps.em.findOne(Membership, realmId ? { id, realmId } : { id })) ?? missingInReach(caller, scope, 'Membership');
    requireRealmScope(caller, membership.realmId, scope, 'Membership');
    return membership;
  }

  async createMembership(
    caller: Caller,
    input: { userId: string; orgId?: string | null; permissions?: unknown; customAttributes?: unknown },
  ): Promise<Membership> {
    if (!isWellFormedId(input.userId)) return missingInReach(caller, 'USERS_MANAGE', 'User');
    const realmId = realmFilter(caller);
    const user =
      (await this.deps.em.findOne(User, realmId ? { id: input.userId, realmId } : { id: input.userId })) ?? missingInReach(caller, 'USERS_MANAGE', 'User');
    requireRealmScope(caller, user.realmId, 'USERS_MANAGE', 'User');
    // The org must live in the user's realm: a membership never bridges two realms.
    const orgId = input.orgId ?? null;
    if (orgId !== null && (!isWellFormedId(orgId) || !(await this.deps.em.findOne(Org, { id: orgId, realmId: user.realmId })))) {
      throw badInput('orgId', 'no such org in the user’s realm');
    }
    const permissions = checkPermissions(input.permissions);
    const customAttributes = checkCustomAttributes(input.customAttributes);
    const now = this.deps.clock.now();
    try {
      const membership = this.deps.em.create(Membership, {
        id: newId('mem'),
        realmId: user.realmId,
        userId: user.id,
        orgId,
        permissions,
        customAttributes,
        createdAt: now,
        updatedAt: now,
      });
      await this.deps.em.flush();
      return membership;
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw badInput('orgId', orgId ? 'the user is already a member of this org' : 'the user already has a realm-wide membership');
      }
      throw error;
    }
  }

  async updateMembership(caller: Caller, id: string, input: { permissions?: unknown; customAttributes?: unknown }): Promise<Membership> {
    const membership = await this.findMembership(caller, id, 'USERS_MANAGE');
    if (input.permissions !== undefined) membership.permissions = checkPermissions(input.permissions);
    if (input.customAttributes !== undefined) membership.customAttributes = checkCustomAttributes(input.customAttributes);
    membership.updatedAt = this.deps.clock.now();
    await this.deps.em.flush();
    return membership;
  }

  async deleteMembership(caller: Caller, id: string): Promise<boolean> {
    const membership = await this.findMembership(caller, id, 'USERS_MANAGE');
    await this.deps.em.nativeDelete(Membership, { id: membership.id, realmId: membership.realmId });
    return true;
  }

  /** Memberships of a user with their orgs (token claims, User.memberships). */
  async membershipsOfUser(realmId: string, userId: string): Promise<{ membership: Membership; org: Org | null }[]> {
    const memberships = await this.deps.em.find(Membership, { realmId, userId }, { orderBy: { createdAt: 'asc' } });
    const orgIds = memberships.map((m) => m.orgId).filter((id): id is string => id !== null);
    const orgs = orgIds.length ? await this.deps.em.find(Org, { id: { $in: orgIds }, realmId }) : [];
    const byId = new Map(orgs.map((org) => [org.id, org]));
    return memberships.map((membership) => ({ membership, org: membership.orgId ? (byId.get(membership.orgId) ?? null) : null }));
  }

  /** The org of a membership the caller already sees (no access check of its own). */
  async orgOf(membership: Membership): Promise<Org | null> {
    return membership.orgId ? this.deps.em.findOne(Org, { id: membership.orgId, realmId: membership.realmId }) : null;
  }

  async membershipsOfOrg(realmId: string, orgId: string): Promise<Membership[]> {
    return this.deps.em.find(Membership, { realmId, orgId }, { orderBy: { createdAt: 'asc' } });
  }
}

import { LockMode } from '@mikro-orm/core';
import { UniqueConstraintViolationException, raw, type EntityManager, type FilterQuery } from '@mikro-orm/postgresql';
import { ApiKey, Realm, User, USER_KINDS, type UserKind } from '../db/entities/index.js';
import { newId } from '../db/ids.js';
import { badInput, notFound, unauthenticated } from '../errors.js';
import type { Clock } from '../clock.js';
import { actorOf, type Caller } from '../auth/caller.js';
import { hasScope, missingInReach, realmFilter, requireRealmScope } from '../auth/access.js';
import type { PasswordHasher } from '../auth/password.js';
import { escapeLike } from '../db/like.js';
import { randomSecret, sha256 } from '../auth/opaque-tokens.js';
import { paginate, type Connection, type PageArgs } from '../db/pagination.js';
import { recordAudit } from '../audit/audit-log.js';
import { checkCustomAttributes, checkEmail, checkText, checkUsername, isWellFormedId } from '../input-rules.js';
import { SessionStore } from '../session/session-store.js';
import type { SessionEvents } from '../events/session-events.js';
import type { UserSnapshots } from './user-snapshots.js';
import type { PasswordPolicy } from './password-policy.js';
import type { CacheInvalidations } from '../events/cache-invalidations.js';
import { UserStore } from './user-store.js';

export const API_KEY_PREFIX = 'tsk_';

export interface CreateUserInput {
  realmId: string;
  kind?: UserKind | null;
  username: string;
  password?: string | null;
  email?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  customAttributes?: unknown;
}

export interface UpdateUserInput {
  username?: string | null;
  email?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  customAttributes?: unknown;
  disabled?: boolean | null;
}

export interface UpdateMeInput {
  email?: string | null;
  firstName?: string | null;
  lastName?: string | null;
}

export interface UserServiceDeps {
  em: EntityManager;
  clock: Clock;
  events: SessionEvents;
  userSnapshots: UserSnapshots;
  invalidations: CacheInvalidations;
  passwords: PasswordHasher;
  passwordPolicy: PasswordPolicy;
}

export class UserService {
  constructor(private readonly deps: UserServiceDeps) {}

  /** A user the caller may read: admins with USERS_READ in reach, or the user itself. */
  async getUser(caller: Caller, id: string): Promise<User> {
    if (caller.kind === 'user' && caller.userId === id) {
      return this.deps.em.findOneOrFail(User, { id, realmId: caller.realmId });
    }
    const user = await this.findInReach(caller, id);
    requireRealmScope(caller, user.realmId, 'USERS_READ', 'User');
    return user;
  }

  /** Load by id, or NOT_FOUND when it does not exist or lies outside the caller's realm. */
  private async findInReach(caller: Caller, id: string): Promise<User> {
    // A user token reaches only its own user: every other user is "not found", never "forbidden".
    if (caller.kind === 'user' && caller.userId !== id) throw notFound('User');
    if (!isWellFormedId(id)) return missingInReach(caller, 'USERS_READ', 'User');
    const realmId = realmFilter(caller);
    const user = await this.deps.em.findOne(User, realmId ? { id, realmId } : { id });
    return user ?? missingInReach(caller, 'USERS_READ', 'User');
  }

  async listUsers(caller: Caller, realmId: string, query: string | null | undefined, page: PageArgs): Promise<Connection<User>> {
    requireRealmScope(caller, realmId, 'USERS_READ');
    await this.requireRealm(realmId);
    const where: FilterQuery<User> = { realmId };
    const search = checkText(query, 'query', 100);
    if (search) {
      const like = `%${escapeLike(search)}%`;
      where.$or = [
        { username: { $ilike: like } },
        { email: { $ilike: like } },
        { firstName: { $ilike: like } },
        { lastName: { $ilike: like } },
        // The full name ("Ada Lovelace") as the `name` field shows it.
        { [raw((alias) => `concat_ws(' ', ${alias}.first_name, ${alias}.last_name)`)]: { $ilike: like } },
      ];
    }
    return paginate(this.deps.em, User, where, page);
  }

  private async requireRealm(realmId: string): Promise<Realm> {
    const realm = await this.deps.em.findOne(Realm, { id: realmId });
    if (!realm) throw notFound('Realm');
    return realm;
  }

  async createUser(caller: Caller, input: CreateUserInput): Promise<User> {
    requireRealmScope(caller, input.realmId, 'USERS_MANAGE');
    const realm = await this.requireRealm(input.realmId);
    const kind = input.kind ?? 'HUMAN';
    if (!USER_KINDS.includes(kind)) throw badInput('kind', 'kind must be HUMAN or API');
    const username = checkUsername(input.username);
    const email = checkEmail(input.email);
    const firstName = checkText(input.firstName, 'firstName');
    const lastName = checkText(input.lastName, 'lastName');
    const customAttributes = checkCustomAttributes(input.customAttributes);
    let passwordHash: string | null = null;
    if (kind === 'HUMAN') {
      if (typeof input.password !== 'string') throw badInput('password', 'password is required for HUMAN users');
      this.deps.passwordPolicy.check(input.password, { username, realmName: realm.name });
      passwordHash = await this.deps.passwords.hash(input.password);
    } else if (input.password !== null && input.password !== undefined) {
      throw badInput('password', 'API users log in with API keys and have no password');
    }
    const now = this.deps.clock.now();
    try {
      return await this.deps.em.transactional(async (em) => {
        const user = em.create(User, {
          id: newId('usr'),
          realmId: input.realmId,
          kind,
          username,
          usernameKey: username.toLowerCase(),
          email,
          firstName,
          lastName,
          customAttributes,
          disabled: false,
          passwordHash,
          createdAt: now,
          updatedAt: now,
          lastLoginAt: null,
        });
        recordAudit(em, { realmId: input.realmId, type: 'USER_CREATED', actor: actorOf(caller), userId: user.id, at: now, data: { kind, username } });
        await em.flush();
        return user;
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw badInput('username', 'username is already taken in this realm');
      throw error;
    }
  }

  async updateUser(caller: Caller, id: string, input: UpdateUserInput): Promise<User> {
    const found = await this.findInReach(caller, id);
    requireRealmScope(caller, found.realmId, 'USERS_MANAGE', 'User');
    const changes: Partial<User> = {};
    if (input.username !== undefined) {
      changes.username = checkUsername(input.username);
      changes.usernameKey = changes.username.toLowerCase();
    }
    if (input.email !== undefined) changes.email = checkEmail(input.email);
    if (input.firstName !== undefined) changes.firstName = checkText(input.firstName, 'firstName');
    if (input.lastName !== undefined) changes.lastName = checkText(input.lastName, 'lastName');
    if (input.customAttributes !== undefined) changes.customAttributes = checkCustomAttributes(input.customAttributes);
    if (input.disabled !== undefined) {
      if (input.disabled === null) throw badInput('disabled', 'disabled must be true or false');
      changes.disabled = input.disabled;
    }
    const now = this.deps.clock.now();
    try {
      const { user, events } = await this.deps.em.transactional(async (em) => {
        const user = await em.findOneOrFail(User, { id, realmId: found.realmId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        const disabling = changes.disabled === true && !user.disabled;
        em.assign(user, { ...changes, updatedAt: now });
        recordAudit(em, {
          realmId: user.realmId,
          type: 'USER_UPDATED',
          actor: actorOf(caller),
          userId: user.id,
          at: now,
          data: { fields: Object.keys(changes).filter((k) => k !== 'usernameKey') },
        });
        await em.flush();
        // A disabled user must be out everywhere at once, not at the next token expiry.
        const by = { actor: actorOf(caller), ip: caller.ip, now };
        const events = disabling ? await new SessionStore(em).end({ realmId: user.realmId, userId: user.id }, 'USER_DISABLED', by) : [];
        return { user, events };
      });
      this.deps.userSnapshots.forget(user.id);
      // Every instance forgets the user's state: its unmanaged tokens are refused while it is disabled.
      this.deps.invalidations.publish([{ kind: 'user', userId: user.id }]);
      this.deps.events.publish(events);
      return user;
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw badInput('username', 'username is already taken in this realm');
      throw error;
    }
  }

  /**
   * A user edits its own profile (updateMe, user login token). An email must be well formed and
   * not another user's of the realm (compared case-insensitively). There is no unique index on
   * emails (admins' createUser/updateUser never required one, and existing realms may hold
   * duplicates), so the check is made race-safe by a transaction-scoped advisory lock on the realm
   * and address: two users claiming one address at once take turns, and the second sees the first.
   */
  async updateMe(caller: Caller, input: UpdateMeInput): Promise<User> {
    if (caller.kind !== 'user') throw unauthenticated('updateMe needs a user login token');
    const changes: Partial<User> = {};
    if (input.email !== undefined) changes.email = checkEmail(input.email);
    if (input.firstName !== undefined) changes.firstName = checkText(input.firstName, 'firstName');
    if (input.lastName !== undefined) changes.lastName = checkText(input.lastName, 'lastName');
    const now = this.deps.clock.now();
    const user = await this.deps.em.transactional(async (em) => {
      const user = await em.findOne(User, { id: caller.userId, realmId: caller.realmId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!user) throw unauthenticated('The user of this token no longer exists');
      const email = changes.email?.toLowerCase();
      if (email && email !== user.email?.toLowerCase()) {
        if (!(await new UserStore(em).claimEmail(user.realmId, email, user.id))) throw badInput('email', 'email is already used by another user of this realm');
      }
      em.assign(user, { ...changes, updatedAt: now });
      recordAudit(em, {
        realmId: user.realmId,
        type: 'USER_UPDATED',
        actor: actorOf(caller),
        userId: user.id,
        ip: caller.ip,
        at: now,
        data: { fields: Object.keys(changes), self: true },
      });
      await em.flush();
      return user;
    });
    this.deps.userSnapshots.forget(user.id);
    return user;
  }

  /**
   * Delete a user: in one transaction its sessions end first (USER_DELETED, with their audit rows,
   * which are their events in the durable record, so subscriptions, webhooks and back-channel
   * logout hear of them), then the user's row goes and its memberships, API keys, sessions and
   * their refresh tokens with it (foreign keys cascade). Its audit rows stay until their
   * retention: audit_event has no foreign keys.
   */
  async deleteUser(caller: Caller, id: string): Promise<boolean> {
    const found = await this.findInReach(caller, id);
    requireRealmScope(caller, found.realmId, 'USERS_MANAGE', 'User');
    const now = this.deps.clock.now();
    const { events, apiKeyIds } = await this.deps.em.transactional(async (em) => {
      const user = await em.findOne(User, { id, realmId: found.realmId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!user) throw notFound('User');
      const by = { actor: actorOf(caller), ip: caller.ip, now };
      const events = await new SessionStore(em).end({ realmId: user.realmId, userId: user.id }, 'USER_DELETED', by);
      const apiKeyIds = (await em.find(ApiKey, { userId: user.id, realmId: user.realmId }, { fields: ['id'] })).map((k) => k.id);
      recordAudit(em, {
        realmId: user.realmId,
        type: 'USER_DELETED',
        actor: by.actor,
        userId: user.id,
        ip: caller.ip,
        at: now,
        data: { username: user.username, kind: user.kind },
      });
      await em.flush();
      await em.nativeDelete(User, { id: user.id, realmId: user.realmId });
      return { events, apiKeyIds };
    });
    this.deps.userSnapshots.forget(id);
    // Every instance forgets the user and its keys: their unmanaged tokens are refused at once.
    this.deps.invalidations.publish([{ kind: 'user', userId: id }, ...apiKeyIds.map((apiKeyId) => ({ kind: 'apiKey' as const, apiKeyId }))]);
    this.deps.events.publish(events);
    return true;
  }

  async setPassword(caller: Caller, userId: string, password: string): Promise<User> {
    const found = await this.findInReach(caller, userId);
    requireRealmScope(caller, found.realmId, 'USERS_MANAGE', 'User');
    if (found.kind !== 'HUMAN') throw badInput('userId', 'only HUMAN users have passwords');
    const realm = await this.requireRealm(found.realmId);
    this.deps.passwordPolicy.check(password, { username: found.username, realmName: realm.name });
    const passwordHash = await this.deps.passwords.hash(password);
    const now = this.deps.clock.now();
    const { user, events } = await this.deps.em.transactional(async (em) => {
      const user = await em.findOneOrFail(User, { id: userId, realmId: found.realmId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      user.passwordHash = passwordHash;
      user.updatedAt = now;
      recordAudit(em, { realmId: user.realmId, type: 'PASSWORD_CHANGED', actor: actorOf(caller), userId: user.id, at: now });
      await em.flush();
      const by = { actor: actorOf(caller), ip: caller.ip, now };
      const events = await new SessionStore(em).end({ realmId: user.realmId, userId: user.id }, 'PASSWORD_CHANGED', by);
      return { user, events };
    });
    this.deps.userSnapshots.forget(user.id);
    this.deps.events.publish(events);
    return user;
  }

  async createApiKey(caller: Caller, userId: string): Promise<{ apiKey: string; key: ApiKey }> {
    const user = await this.findInReach(caller, userId);
    requireRealmScope(caller, user.realmId, 'USERS_MANAGE', 'User');
    if (user.kind !== 'API') throw badInput('userId', 'API keys belong to API users only');
    const apiKey = API_KEY_PREFIX + randomSecret(32);
    const now = this.deps.clock.now();
    const key = await this.deps.em.transactional(async (em) => {
      const key = em.create(ApiKey, {
        id: newId('apk'),
        realmId: user.realmId,
        userId: user.id,
        keyHash: sha256(apiKey),
        createdAt: now,
        lastUsedAt: null,
        revokedAt: null,
      });
      recordAudit(em, { realmId: user.realmId, type: 'API_KEY_CREATED', actor: actorOf(caller), userId: user.id, at: now, data: { keyId: key.id } });
      await em.flush();
      return key;
    });
    return { apiKey, key };
  }

  async revokeApiKey(caller: Caller, id: string): Promise<boolean> {
    if (!isWellFormedId(id)) return missingInReach(caller, 'USERS_MANAGE', 'API key');
    const realmId = realmFilter(caller);
    const key = (await this.deps.em.findOne(ApiKey, realmId ? { id, realmId } : { id })) ?? missingInReach(caller, 'USERS_MANAGE', 'API key');
    requireRealmScope(caller, key.realmId, 'USERS_MANAGE', 'API key');
    if (key.revokedAt) return true;
    const now = this.deps.clock.now();
    await this.deps.em.transactional(async (em) => {
      await em.nativeUpdate(ApiKey, { id, revokedAt: null }, { revokedAt: now });
      recordAudit(em, { realmId: key.realmId, type: 'API_KEY_REVOKED', actor: actorOf(caller), userId: key.userId, at: now, data: { keyId: id } });
      await em.flush();
    });
    // The tokens that name the key are refused from now on, on every instance.
    this.deps.invalidations.publish([{ kind: 'apiKey', apiKeyId: id }]);
    return true;
  }

  /** API keys of a user, for admins who may read the user. */
  async listApiKeys(caller: Caller, user: User): Promise<ApiKey[]> {
    if (caller.kind !== 'admin' || !hasScope(caller, 'USERS_READ')) return [];
    return this.deps.em.find(ApiKey, { userId: user.id, realmId: user.realmId }, { orderBy: { createdAt: 'desc' } });
  }

  /** The user of an object the caller already sees (a session): no access check of its own. */
  userOf(object: { realmId: string; userId: string }): Promise<User> {
    return this.deps.em.findOneOrFail(User, { id: object.userId, realmId: object.realmId });
  }
}

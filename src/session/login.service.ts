import type { EntityManager } from '@mikro-orm/postgresql';
import { LockMode } from '@mikro-orm/core';
import { ApiKey, Realm, User } from '../db/entities/index.js';
import { newId } from '../db/ids.js';
import { badInput, invalidCredentials, unauthenticated } from '../errors.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { MAX_PASSWORD_BYTES, type PasswordHasher } from '../auth/password.js';
import { sha256 } from '../auth/opaque-tokens.js';
import { LoginThrottle, type ThrottleSettlement, type ThrottleTicket } from '../auth/throttle.js';
import { recordAudit } from '../audit/audit-log.js';
import { checkText } from '../input-rules.js';
import type { SessionEvents } from '../events/session-events.js';
import type { UserSnapshots } from '../user/user-snapshots.js';
import type { PasswordPolicy } from '../user/password-policy.js';
import { actorOf, type Caller } from '../auth/caller.js';
import { SessionStore } from './session-store.js';
import type { LoginResult, TokenIssuer } from './token-issuer.js';
import { hashRefreshToken, newRefreshToken } from './refresh-tokens.js';

export interface ClientInfo {
  ip: string | null;
  userAgent?: string | null;
  app?: string | null;
}

export interface LoginServiceDeps {
  em: EntityManager;
  clock: Clock;
  issuer: TokenIssuer;
  events: SessionEvents;
  userSnapshots: UserSnapshots;
  passwords: PasswordHasher;
  passwordPolicy: PasswordPolicy;
  logger: Logger;
}

/** Logins — by password (throttled), by API key, or for operators' tooling — and the sessions they open. */
export class LoginService {
  #throttle: LoginThrottle | undefined;
  #store: SessionStore | undefined;

  constructor(private readonly deps: LoginServiceDeps) {}

  private get throttle(): LoginThrottle {
    return (this.#throttle ??= new LoginThrottle({ em: this.deps.em, clock: this.deps.clock }));
  }

  private get store(): SessionStore {
    return (this.#store ??= new SessionStore(this.deps.em));
  }

  /**
   * Password login, in two round trips: charge the throttle and read the realm and user; then
   * open the session (and settle the throttle). Unknown realm, unknown user, API user, disabled
   * user and wrong password all cost one argon2 verify and end in the same INVALID_CREDENTIALS:
   * nothing tells them apart. So does a user deleted or disabled while its password was checked
   * (after the first statement read it): the second finds it gone and writes nothing.
   */
  async login(input: { realmId: string; username: string; password: string; client?: ClientInfo | null }, ip: string | null): Promise<LoginResult> {
    if (typeof input.password !== 'string' || Buffer.byteLength(input.password, 'utf8') > MAX_PASSWORD_BYTES) {
      throw badInput('password', `password must be at most ${MAX_PASSWORD_BYTES} bytes`);
    }
    if (typeof input.username !== 'string' || input.username.length > 200) throw invalidCredentials();
    const client: ClientInfo = {
      ip,
      userAgent: checkText(input.client?.userAgent, 'client.userAgent', 512),
      app: checkText(input.client?.app, 'client.app', 100),
    };
    const attempt = { realmId: String(input.realmId).slice(0, 64), username: input.username, ip };
    // Refused before any hashing: a throttled guesser costs us one statement, not an argon2 run. The
    // realm and the user are read in that same statement.
    const realmId = typeof input.realmId === 'string' && input.realmId.length <= 64 ? input.realmId : null;
    const { ticket, read } = await this.throttle.assertAllowed<Parameters<SessionStore['loginSubjectsOf']>[0]>(
      attempt,
      SessionStore.loginSubjects(realmId, input.username.trim().toLowerCase()),
    );
    const { realm, user } = this.store.loginSubjectsOf(read);
    const { passwords } = this.deps;
    const hash = user?.kind === 'HUMAN' && user.passwordHash ? user.passwordHash : await passwords.dummyHash();
    const passwordOk = await passwords.verify(hash, input.password);
    if (!realm || !user || user.kind !== 'HUMAN' || user.disabled || !user.passwordHash || !passwordOk) {
      return this.refuse(ticket, realm?.id ?? null, user?.id ?? null, input.username, ip);
    }
    // Upgrade hashes made with older parameters while we hold the plaintext (before any transaction:
    // hashing inside one would hold a connection for the hash's duration).
    const upgradedHash = passwords.needsRehash(user.passwordHash) ? await passwords.hash(input.password) : null;
    const started = await this.startSession(realm, user, client, upgradedHash, this.throttle.settleSuccess(ticket));
    // Deleted or disabled since it was read: a failure like any other (the throttle was not settled).
    return started ?? this.refuse(ticket, realm.id, user.id, input.username, ip);
  }

  /** A failed password check: the throttle's failure, the audit row in the realm named (if any), INVALID_CREDENTIALS. */
  private async refuse(ticket: ThrottleTicket, realmId: string | null, userId: string | null, username: string, ip: string | null): Promise<never> {
    await this.throttle.recordFailure(ticket);
    if (realmId) await this.recordFailedLogin(realmId, userId, username, ip);
    throw invalidCredentials();
  }

  /**
   * A user changes its own password (changePassword). The current password is checked exactly like
   * a login's — the same throttle counters, charged before the verify, so a stolen access token
   * cannot be used to guess the password faster than the login form allows. Then, in one
   * transaction: the new hash, its audit row, every *other* session of the user ended
   * (PASSWORD_CHANGED, with their events in the record), and the caller's session given a fresh
   * refresh token in place of all its old ones. The caller continues with new tokens.
   */
  async changePassword(caller: Caller, currentPassword: string, newPassword: string): Promise<LoginResult> {
    if (caller.kind !== 'user') throw unauthenticated('changePassword needs a user login token');
    if (typeof currentPassword !== 'string' || Buffer.byteLength(currentPassword, 'utf8') > MAX_PASSWORD_BYTES) {
      throw badInput('currentPassword', `currentPassword must be at most ${MAX_PASSWORD_BYTES} bytes`);
    }
    const { em, passwords, clock } = this.deps;
    const known = await em.findOne(User, { id: caller.userId, realmId: caller.realmId });
    if (!known) throw unauthenticated('The user of this token no longer exists');
    if (known.kind !== 'HUMAN') throw badInput('currentPassword', 'only HUMAN users have passwords');
    const attempt = { realmId: caller.realmId, username: known.username, ip: caller.ip };
    const { ticket, read } = await this.throttle.assertAllowed<Parameters<SessionStore['loginSubjectsOf']>[0]>(
      attempt,
      SessionStore.loginSubjects(caller.realmId, known.usernameKey),
    );
    const { realm, user } = this.store.loginSubjectsOf(read);
    const hash = user?.id === caller.userId && user.passwordHash ? user.passwordHash : await passwords.dummyHash();
    const passwordOk = await passwords.verify(hash, currentPassword);
    if (!realm || !user || user.id !== caller.userId || user.disabled || !user.passwordHash || !passwordOk) {
      return this.refuse(ticket, realm?.id ?? null, caller.userId, known.username, caller.ip);
    }
    // The current password was right: the attempt is settled as a login's success would be, even
    // when the new password is refused below (that is not a guess).
    await this.throttle.settle(this.throttle.settleSuccess(ticket));
    this.deps.passwordPolicy.check(newPassword, { username: user.username, realmName: realm.name }, 'newPassword');
    // Hashed before the transaction: hashing inside it would hold a connection for the hash's duration.
    const passwordHash = await passwords.hash(newPassword);
    const refreshToken = realm.sessionType === 'MANAGED' && caller.sessionId ? newRefreshToken() : null;
    const now = clock.now();
    const by = { actor: actorOf(caller), ip: caller.ip, now };
    const { changed, session, ended } = await em.transactional(async (tx) => {
      const changed = await tx.findOne(User, { id: user.id, realmId: realm.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      // Deleted or disabled while the current password was checked: the caller's token names a user
      // that no longer may log in, as it would have been refused had it come a moment later.
      if (!changed) throw unauthenticated('The user of this token no longer exists');
      if (changed.disabled) throw unauthenticated('The user of this token is disabled');
      changed.passwordHash = passwordHash;
      changed.updatedAt = now;
      recordAudit(tx, { realmId: realm.id, type: 'PASSWORD_CHANGED', actor: by.actor, userId: user.id, sessionId: caller.sessionId, ip: caller.ip, at: now });
      await tx.flush();
      const store = new SessionStore(tx);
      const ended = await store.end({ realmId: realm.id, userId: user.id, exceptSessionId: caller.sessionId }, 'PASSWORD_CHANGED', by);
      let session = null;
      if (refreshToken && caller.sessionId) {
        session = await store.replaceRefreshTokens({
          realmId: realm.id,
          userId: user.id,
          sessionId: caller.sessionId,
          tokenHash: hashRefreshToken(refreshToken),
          now,
        });
        // Ended (or run out) since the token was checked: nothing of this change may stand.
        if (!session) throw unauthenticated('This session has ended');
      }
      return { changed, session, ended };
    });
    this.deps.userSnapshots.forget(user.id);
    this.deps.events.publish(ended);
    if (session && refreshToken) return this.deps.issuer.issueForSession(realm, changed, session, refreshToken, now);
    return this.deps.issuer.issueUnmanaged(realm, changed, now, realm.sessionMinutes ?? null);
  }

  private recordFailedLogin(realmId: string, userId: string | null, username: string, ip: string | null): Promise<void> {
    return this.store.recordFailedLogin({ realmId, userId, username, ip, now: this.deps.clock.now() });
  }

  async loginWithApiKey(input: { realmId: string; apiKey: string }, ip: string | null): Promise<LoginResult> {
    if (typeof input.apiKey !== 'string' || input.apiKey.length > 200 || typeof input.realmId !== 'string' || input.realmId.length > 64) {
      throw invalidCredentials();
    }
    const { em } = this.deps;
    const realm = await em.findOne(Realm, { id: input.realmId });
    let key = realm ? await em.findOne(ApiKey, { keyHash: sha256(input.apiKey), realmId: realm.id }) : null;
    if (key?.revokedAt) {
      // A security event (docs/operations.md#logs-signals-and-shutdown): which key, never the key.
      this.deps.logger.warn('API key refused: revoked', { realm: key.realmId, apiKey: key.id });
      key = null;
    }
    const user = key ? await em.findOne(User, { id: key.userId, realmId: key.realmId }) : null;
    if (!realm || !key || !user || user.kind !== 'API' || user.disabled) {
      // Failures are audited in the realm they name, when it exists: an unknown realm id is not a
      // realm, and must not become rows in the audit log.
      if (realm) await this.recordFailedLogin(realm.id, user?.id ?? null, '(api key)', ip);
      throw invalidCredentials();
    }
    const now = this.deps.clock.now();
    // One statement that re-checks the key and the user under the user's lock: deleted, disabled or
    // revoked since they were read above, the login fails like one that came after.
    if (!(await this.store.recordApiKeyLogin({ realmId: realm.id, userId: user.id, apiKeyId: key.id, now, ip }))) {
      await this.recordFailedLogin(realm.id, user.id, '(api key)', ip);
      throw invalidCredentials();
    }
    key.lastUsedAt = now;
    user.lastLoginAt = now;
    this.deps.userSnapshots.forget(user.id);
    // API-key logins are always unmanaged: the token is the whole session.
    return this.deps.issuer.issueUnmanaged(realm, user, now, realm.apiKeyMinutes ?? null, key.id);
  }

  /**
   * Start a managed session for a user without a password check. For operators' tooling and the
   * benchmark (seeding thousands of sessions without thousands of argon2 runs); deliberately not
   * reachable through the API.
   */
  async openSessionWithoutPassword(realmId: string, userId: string, client: ClientInfo): Promise<LoginResult> {
    const realm = await this.deps.em.findOneOrFail(Realm, { id: realmId });
    const user = await this.deps.em.findOneOrFail(User, { id: userId, realmId });
    const started = await this.startSession(realm, user, client, null, null);
    if (!started) throw new Error(`user ${userId} is gone or disabled`);
    return started;
  }

  private async startSession(
    realm: Realm,
    user: User,
    client: ClientInfo,
    upgradedHash: string | null,
    throttle: ThrottleSettlement | null,
  ): Promise<LoginResult | null> {
    const now = this.deps.clock.now();
    if (realm.sessionType === 'UNMANAGED') return this.startUnmanaged(realm, user, client, upgradedHash, throttle, now);
    const refreshToken = newRefreshToken();
    const sessionId = newId('ses');
    // One round trip (SessionStore.openSession); null when the user is gone or disabled by now.
    const opened = await this.store.openSession({
      realm,
      user,
      sessionId,
      now,
      expiresAt: new Date(now.getTime() + (realm.sessionMinutes ?? 0) * 60_000),
      upgradedHash,
      refreshTokenHash: hashRefreshToken(refreshToken),
      client: { ip: client.ip, userAgent: client.userAgent ?? null, app: client.app ?? null },
      throttle,
    });
    if (!opened) return null;
    const { session, ended } = opened;
    user.lastLoginAt = now;
    this.deps.userSnapshots.forget(user.id);
    this.deps.events.publish([...ended, { type: 'CREATED', sessionId, userId: user.id, realmId: realm.id, reason: null, at: now.toISOString() }]);
    return this.deps.issuer.issueForSession(realm, user, session, refreshToken, now);
  }

  private async startUnmanaged(
    realm: Realm,
    user: User,
    client: ClientInfo,
    upgradedHash: string | null,
    throttle: ThrottleSettlement | null,
    now: Date,
  ): Promise<LoginResult | null> {
    // The login first, then the throttle: a user gone or disabled by now settles nothing.
    if (!(await this.store.recordUnmanagedLogin({ realmId: realm.id, userId: user.id, now, upgradedHash, ip: client.ip, app: client.app ?? null }))) {
      return null;
    }
    if (throttle) await this.throttle.settle(throttle);
    user.lastLoginAt = now;
    this.deps.userSnapshots.forget(user.id);
    return this.deps.issuer.issueUnmanaged(realm, user, now, realm.sessionMinutes ?? null);
  }
}

import { randomUUID } from 'node:crypto';
import type { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import { ApiKey, Realm, Session, User, type TerminationReason } from '../db/entities/index.js';
import { newId, newTimeOrderedId } from '../db/ids.js';
import { hotQuery } from '../db/hot-query.js';
import { hydrate } from '../db/hydrate.js';
import { badInput, invalidCredentials, invalidRefreshToken, notFound, unauthenticated } from '../errors.js';
import type { Clock } from '../clock.js';
import { actorOf, type Caller, type UserCaller } from '../auth/caller.js';
import { hasScope, missingInReach, realmFilter, requireRealmScope } from '../auth/access.js';
import { MAX_PASSWORD_BYTES, type PasswordHasher } from '../auth/password.js';
import { sha256 } from '../auth/opaque-tokens.js';
import { LoginThrottle, type ThrottleSettlement } from '../auth/throttle.js';
import { paginate, type Connection, type PageArgs } from '../db/pagination.js';
import { recordAudit } from '../audit/audit-log.js';
import { checkText } from '../input-rules.js';
import type { SessionEvents, SessionLifecycleEvent } from '../events/session-events.js';
import type { UserSnapshots } from '../user/user-snapshots.js';
import type { TokenKeys } from '../token/jwt.js';
import { buildClaims } from '../token/claims.js';
import { OrgService } from '../org/org.service.js';
import { endSessions, terminationEvent, type EndSessionsTarget } from './session-termination.js';
import { effectiveState, expiryReason } from './session-state.js';
import { MAX_REFRESH_TOKEN_LENGTH, hashRefreshToken, newRefreshToken, newSuccessorSeed, successorOf } from './refresh-tokens.js';

export interface LoginResult {
  accessToken: string;
  accessTokenExpiresAt: Date | null;
  refreshToken: string | null;
  session: Session | null;
  user: User;
}

export interface ClientInfo {
  ip: string | null;
  userAgent?: string | null;
  app?: string | null;
}

export type ActiveSessionRow = Pick<Session, 'id' | 'realmId' | 'userId' | 'state' | 'expiresAt' | 'idleExpiresAt'>;

export interface SessionServiceDeps {
  em: EntityManager;
  clock: Clock;
  keys: TokenKeys;
  events: SessionEvents;
  userSnapshots: UserSnapshots;
  passwords: PasswordHasher;
  refreshGraceSeconds: number;
}

type TerminationStep = [target: EndSessionsTarget, reason: TerminationReason];

function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}

/**
 * A token's expiry as the token states it: `exp` counts whole seconds, so `accessTokenExpiresAt`
 * is rounded down the same way (never later than the token, never later than its session).
 */
function tokenExpiry(date: Date | null): Date | null {
  return date === null ? null : new Date(Math.floor(date.getTime() / 1000) * 1000);
}

export class SessionService {
  #orgs: OrgService | undefined;
  #throttle: LoginThrottle | undefined;

  /** `deps.em` is read only when a method needs it: `me` answered from memory never forks one. */
  constructor(private readonly deps: SessionServiceDeps) {}

  private get orgs(): OrgService {
    return (this.#orgs ??= new OrgService({ em: this.deps.em, clock: this.deps.clock }));
  }

  private get throttle(): LoginThrottle {
    return (this.#throttle ??= new LoginThrottle({ em: this.deps.em, clock: this.deps.clock }));
  }

  // ── login ────────────────────────────────────────────────────────────────────────────────────

  /**
   * Password login. Unknown realm, unknown user, API user, disabled user and wrong password all
   * cost one argon2 verify and end in the same INVALID_CREDENTIALS: nothing tells them apart.
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
    const found = await this.throttle.assertAllowed<{ realm: Record<string, unknown> | null; app_user: Record<string, unknown> | null }>(attempt, {
      columns: `(select to_jsonb(r) from realm r where r.id = $13) as realm,
                (select to_jsonb(u) from app_user u where u.realm_id = $13 and u.username_key = $12) as app_user`,
      values: [input.username.trim().toLowerCase(), typeof input.realmId === 'string' && input.realmId.length <= 64 ? input.realmId : null],
    });
    const realm = found.realm ? hydrate(this.deps.em, Realm, found.realm) : null;
    const user = realm && found.app_user ? hydrate(this.deps.em, User, found.app_user) : null;
    const { passwords } = this.deps;
    const hash = user?.kind === 'HUMAN' && user.passwordHash ? user.passwordHash : await passwords.dummyHash();
    const passwordOk = await passwords.verify(hash, input.password);
    if (!realm || !user || user.kind !== 'HUMAN' || user.disabled || !user.passwordHash || !passwordOk) {
      await this.throttle.recordFailure(attempt);
      if (realm) await this.recordFailedLogin(realm.id, user?.id ?? null, input.username, ip);
      throw invalidCredentials();
    }
    // Upgrade hashes made with older parameters while we hold the plaintext (before any transaction:
    // hashing inside one would hold a connection for the hash's duration).
    const upgradedHash = passwords.needsRehash(user.passwordHash) ? await passwords.hash(input.password) : null;
    return this.startSession(realm, user, client, upgradedHash, this.throttle.settleSuccess(attempt));
  }

  private async recordFailedLogin(realmId: string, userId: string | null, username: string, ip: string | null): Promise<void> {
    const em = this.deps.em.fork();
    recordAudit(em, {
      realmId,
      type: 'LOGIN_FAILED',
      actor: 'anonymous',
      userId,
      ip,
      at: this.deps.clock.now(),
      data: { username: username.slice(0, 100) },
    });
    await em.flush();
  }

  async loginWithApiKey(input: { realmId: string; apiKey: string }, ip: string | null): Promise<LoginResult> {
    if (typeof input.apiKey !== 'string' || input.apiKey.length > 200 || typeof input.realmId !== 'string' || input.realmId.length > 64) {
      throw invalidCredentials();
    }
    const { em } = this.deps;
    const realm = await em.findOne(Realm, { id: input.realmId });
    const key = realm ? await em.findOne(ApiKey, { keyHash: sha256(input.apiKey), realmId: realm.id, revokedAt: null }) : null;
    const user = key ? await em.findOne(User, { id: key.userId, realmId: key.realmId }) : null;
    if (!realm || !key || !user || user.kind !== 'API' || user.disabled) {
      // Failures are audited in the realm they name, when it exists: an unknown realm id is not a
      // realm, and must not become rows in the audit log.
      if (realm) await this.recordFailedLogin(realm.id, user?.id ?? null, '(api key)', ip);
      throw invalidCredentials();
    }
    const now = this.deps.clock.now();
    key.lastUsedAt = now;
    user.lastLoginAt = now;
    recordAudit(em, { realmId: realm.id, type: 'LOGIN_SUCCEEDED', actor: `user:${user.id}`, userId: user.id, ip, at: now, data: { apiKeyId: key.id } });
    await em.flush();
    this.deps.userSnapshots.forget(user.id);
    // API-key logins are always unmanaged: the token is the whole session.
    const expiresAt = tokenExpiry(realm.apiKeyMinutes === null ? null : addSeconds(now, realm.apiKeyMinutes * 60));
    return { accessToken: await this.signToken(realm, user, null, now, expiresAt), accessTokenExpiresAt: expiresAt, refreshToken: null, session: null, user };
  }

  /**
   * Start a managed session for a user without a password check. For operators' tooling and the
   * benchmark (seeding thousands of sessions without thousands of argon2 runs); deliberately not
   * reachable through the API.
   */
  async openSessionWithoutPassword(realmId: string, userId: string, client: ClientInfo): Promise<LoginResult> {
    const realm = await this.deps.em.findOneOrFail(Realm, { id: realmId });
    const user = await this.deps.em.findOneOrFail(User, { id: userId, realmId });
    return this.startSession(realm, user, client, null, null);
  }

  private async startSession(
    realm: Realm,
    user: User,
    client: ClientInfo,
    upgradedHash: string | null,
    throttle: ThrottleSettlement | null,
  ): Promise<LoginResult> {
    const now = this.deps.clock.now();
    if (realm.sessionType === 'UNMANAGED') {
      if (throttle)
        await hotQuery(this.deps.em, 'select tessera_settle_login_throttle($1, $2, $3)', [throttle.clear, throttle.refund, throttle.refundThreshold]);
      await hotQuery(
        this.deps.em,
        `with touched as (update app_user set last_login_at = $1, password_hash = coalesce($2, password_hash) where id = $3 and realm_id = $4)
         insert into audit_event (id, realm_id, type, actor, user_id, ip, data, created_at) values ($5, $4, 'LOGIN_SUCCEEDED', $6, $3, $7, $8, $1)`,
        [now, upgradedHash, user.id, realm.id, newTimeOrderedId('aud'), `user:${user.id}`, client.ip, JSON.stringify({ app: client.app })],
      );
      user.lastLoginAt = now;
      this.deps.userSnapshots.forget(user.id);
      const expiresAt = tokenExpiry(realm.sessionMinutes === null ? null : addSeconds(now, realm.sessionMinutes * 60));
      return { accessToken: await this.signToken(realm, user, null, now, expiresAt), accessTokenExpiresAt: expiresAt, refreshToken: null, session: null, user };
    }

    const refreshToken = newRefreshToken();
    const sessionId = newId('ses');
    // One round trip: settle the login's throttle counters, lock the user, end its sessions that ran
    // out, evict beyond the cap, create the session (migrations/…_open_session.ts, the rules of
    // endSessions in SQL, behind …_login_in_two_round_trips.ts).
    const [row] = await hotQuery<{
      session: Record<string, unknown>;
      ended: (Parameters<typeof terminationEvent>[0] & { termination_reason: TerminationReason })[];
    }>(this.deps.em, 'select session, ended from tessera_open_session($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)', [
      realm.id,
      user.id,
      now,
      upgradedHash,
      realm.maxActiveSessions,
      sessionId,
      addSeconds(now, (realm.sessionMinutes ?? 0) * 60),
      realm.idleTimeoutSeconds,
      realm.accessTokenSeconds,
      client.ip,
      client.userAgent ?? null,
      client.app ?? null,
      hashRefreshToken(refreshToken),
      newTimeOrderedId('aud'),
      JSON.stringify({ app: client.app }),
      throttle?.clear ?? null,
      throttle?.refund ?? null,
      throttle?.refundThreshold ?? null,
    ]);
    const session = hydrate(this.deps.em, Session, row.session);
    const events: SessionLifecycleEvent[] = row.ended.map((ended) => terminationEvent(ended, ended.termination_reason, now));
    events.push({ type: 'CREATED', sessionId, userId: user.id, realmId: realm.id, reason: null, at: now.toISOString() });
    user.lastLoginAt = now;
    this.deps.userSnapshots.forget(user.id);
    this.deps.events.publish(events);
    const accessTokenExpiresAt = this.accessTokenExpiry(session, now);
    return {
      accessToken: await this.signToken(realm, user, session.id, now, accessTokenExpiresAt),
      accessTokenExpiresAt,
      refreshToken,
      session,
      user,
    };
  }

  private accessTokenExpiry(session: Session, now: Date): Date {
    const byLifespan = addSeconds(now, session.accessTokenSeconds);
    return tokenExpiry(byLifespan < session.expiresAt ? byLifespan : session.expiresAt)!;
  }

  private async signToken(realm: Realm, user: User, sessionId: string | null, now: Date, expiresAt: Date | null): Promise<string> {
    const needsMemberships = realm.jwtFields.includes('MEMBERSHIPS');
    const memberships = needsMemberships ? await this.orgs.membershipsOfUser(realm.id, user.id) : [];
    const claims = buildClaims({ realm, user, memberships, sessionId, tokenId: randomUUID(), issuedAt: now, expiresAt });
    return this.deps.keys.sign(realm.id, claims as Parameters<TokenKeys['sign']>[1]);
  }

  // ── refresh ──────────────────────────────────────────────────────────────────────────────────

  async refresh(refreshToken: string, ip: string | null): Promise<LoginResult> {
    if (typeof refreshToken !== 'string' || refreshToken.length === 0 || refreshToken.length > MAX_REFRESH_TOKEN_LENGTH) {
      throw invalidRefreshToken();
    }
    const now = this.deps.clock.now();
    const presentedHash = hashRefreshToken(refreshToken);
    const rotated = await this.rotateInOneStatement(refreshToken, presentedHash, now, ip);
    if (rotated) {
      this.deps.events.publish([
        {
          type: 'REFRESHED',
          sessionId: rotated.session.id,
          userId: rotated.session.userId,
          realmId: rotated.session.realmId,
          reason: null,
          at: now.toISOString(),
        },
      ]);
      const accessTokenExpiresAt = this.accessTokenExpiry(rotated.session, now);
      return {
        accessToken: await this.signToken(rotated.realm, rotated.user, rotated.session.id, now, accessTokenExpiresAt),
        accessTokenExpiresAt,
        refreshToken: rotated.nextToken,
        session: rotated.session,
        user: rotated.user,
      };
    }

    // Everything else — an unknown token, a spent one (inside the grace window or a reuse), a
    // session that ended or just ran out — takes the careful path: a transaction that locks the
    // session and the token, and hands out the same successor, ends the session, or refuses.
    type Outcome = { ok: true; session: Session; nextToken: string } | { ok: false };
    const events: SessionLifecycleEvent[] = [];
    const outcome = await this.deps.em.transactional(async (em): Promise<Outcome> => {
      const connection = em.getConnection();
      const transaction = em.getTransactionContext();
      // Lock the session and the presented token together: every refresh and termination of this
      // session queues here, and a refresh that waited reads the rotation of the one before it.
      const [row] = await connection.execute<(Record<string, unknown> & { rotated_at: Date | null; successor_seed: string | null })[]>(
        `select s.*, t.rotated_at, t.successor_seed
           from refresh_token t join session s on s.id = t.session_id and s.realm_id = t.realm_id
          where t.token_hash = ? for update of s, t`,
        [presentedHash],
        'all',
        transaction,
      );
      if (!row) return { ok: false };
      const { rotated_at: rotatedAt, successor_seed: successorSeed, ...sessionColumns } = row;
      const session = em.map(Session, sessionColumns);
      if (session.state !== 'ACTIVE') return { ok: false };
      const expired = expiryReason(session, now);
      if (expired) {
        events.push(...(await endSessions(em, { realmId: session.realmId, sessionId: session.id }, expired, 'system', now, ip)));
        return { ok: false };
      }
      if (rotatedAt) {
        const withinGrace = now.getTime() - new Date(rotatedAt).getTime() <= this.deps.refreshGraceSeconds * 1000;
        if (!withinGrace || !successorSeed) {
          // A spent token after the grace window: someone kept a copy. End the session for everyone.
          events.push(...(await endSessions(em, { realmId: session.realmId, sessionId: session.id }, 'REFRESH_TOKEN_REUSED', 'system', now, ip)));
          recordAudit(em, {
            realmId: session.realmId,
            type: 'REFRESH_TOKEN_REUSED',
            actor: 'anonymous',
            userId: session.userId,
            sessionId: session.id,
            ip,
            at: now,
          });
          await em.flush();
          return { ok: false };
        }
        // Same token twice inside the grace window (two tabs): hand out the same successor.
        return { ok: true, session, nextToken: successorOf(refreshToken, successorSeed) };
      }
      // An unspent token of a live session: rotateInOneStatement rotates exactly these, and none of
      // the conditions it missed (spent, ended, ran out) can be undone since. Not reached.
      return { ok: false };
    });
    this.deps.events.publish(events);
    if (!outcome.ok) throw invalidRefreshToken();

    const { session } = outcome;
    const [realm, user] = await Promise.all([
      this.deps.em.findOneOrFail(Realm, { id: session.realmId }),
      this.deps.em.findOneOrFail(User, { id: session.userId, realmId: session.realmId }),
    ]);
    const accessTokenExpiresAt = this.accessTokenExpiry(session, now);
    return {
      accessToken: await this.signToken(realm, user, session.id, now, accessTokenExpiresAt),
      accessTokenExpiresAt,
      refreshToken: outcome.nextToken,
      session,
      user,
    };
  }

  /**
   * The common refresh — an unspent token of a live session — in one autocommitted statement, so
   * one round trip: lock the token and its session, rotate, touch the session, write the audit
   * row, and read back what the new access token needs. Null when the token is anything else, for
   * `refresh` to sort out in a transaction.
   *
   * Races: `for update` makes a concurrent refresh or termination of the session wait, and
   * PostgreSQL re-checks the conditions against the row it waited for (READ COMMITTED), so a token
   * spent or a session ended meanwhile matches nothing here rather than being rotated twice or
   * revived. The other parts of the statement write only when `claimed` found the row.
   */
  private async rotateInOneStatement(
    refreshToken: string,
    presentedHash: string,
    now: Date,
    ip: string | null,
  ): Promise<{ session: Session; realm: Realm; user: User; nextToken: string } | null> {
    const seed = newSuccessorSeed();
    const nextToken = successorOf(refreshToken, seed);
    const [row] = await hotQuery<{ session: Record<string, unknown>; realm: Record<string, unknown>; app_user: Record<string, unknown> }>(
      this.deps.em,
      `with claimed as (
         select s.id, s.realm_id, s.user_id, s.idle_timeout_seconds
           from refresh_token t join session s on s.id = t.session_id and s.realm_id = t.realm_id
          where t.token_hash = $1 and t.rotated_at is null
            and s.state = 'ACTIVE' and s.expires_at > $2 and (s.idle_expires_at is null or s.idle_expires_at > $2)
            for update of s, t),
       rotated as (update refresh_token t set rotated_at = $2, successor_seed = $3
                     from claimed c where t.token_hash = $1 and t.session_id = c.id),
       successor as (insert into refresh_token (token_hash, session_id, realm_id, created_at)
                     select $4, c.id, c.realm_id, $2 from claimed c),
       touched as (update session s
                      set last_active_at = $2,
                          idle_expires_at = $2::timestamptz + make_interval(secs => c.idle_timeout_seconds)
                     from claimed c where s.id = c.id and s.realm_id = c.realm_id
                   returning s.*),
       audited as (insert into audit_event (id, realm_id, type, actor, user_id, session_id, ip, data, created_at)
                   select $5, c.realm_id, 'SESSION_REFRESHED', 'user:' || c.user_id, c.user_id, c.id, $6, '{}', $2 from claimed c)
       select to_jsonb(s) as session, to_jsonb(r) as realm, to_jsonb(u) as app_user
         from touched s join realm r on r.id = s.realm_id join app_user u on u.id = s.user_id and u.realm_id = s.realm_id`,
      [presentedHash, now, seed, hashRefreshToken(nextToken), newTimeOrderedId('aud'), ip],
    );
    if (!row) return null;
    const { em } = this.deps;
    return { session: hydrate(em, Session, row.session), realm: hydrate(em, Realm, row.realm), user: hydrate(em, User, row.app_user), nextToken };
  }

  // ── reading ──────────────────────────────────────────────────────────────────────────────────

  async getSession(caller: Caller, id: string): Promise<Session> {
    if (caller.kind === 'user') {
      const own = await this.deps.em.findOne(Session, { id, realmId: caller.realmId, userId: caller.userId });
      if (!own) throw notFound('Session');
      return own;
    }
    const realmId = realmFilter(caller);
    const session = (await this.deps.em.findOne(Session, realmId ? { id, realmId } : { id })) ?? missingInReach(caller, 'SESSIONS_READ', 'Session');
    requireRealmScope(caller, session.realmId, 'SESSIONS_READ', 'Session');
    return session;
  }

  async listSessions(caller: Caller, args: { realmId: string; userId?: string | null; state?: string | null } & PageArgs): Promise<Connection<Session>> {
    const where: FilterQuery<Session> = { realmId: args.realmId };
    if (caller.kind === 'user') {
      // Users list their own sessions only, whatever userId they pass.
      if (caller.realmId !== args.realmId || (args.userId && args.userId !== caller.userId)) throw notFound(args.userId ? 'User' : 'Realm');
      where.userId = caller.userId;
    } else {
      requireRealmScope(caller, args.realmId, 'SESSIONS_READ');
      if (!(await this.deps.em.findOne(Realm, { id: args.realmId }))) throw notFound('Realm');
      if (args.userId) where.userId = args.userId;
    }
    const now = this.deps.clock.now();
    // State as it reads now: an ACTIVE row past its expiry is EXPIRED even before the sweeper ran.
    if (args.state === 'ACTIVE') {
      Object.assign(where, { state: 'ACTIVE', expiresAt: { $gt: now }, $or: [{ idleExpiresAt: null }, { idleExpiresAt: { $gt: now } }] });
    } else if (args.state === 'EXPIRED') {
      where.$or = [{ state: 'EXPIRED' }, { state: 'ACTIVE', $or: [{ expiresAt: { $lte: now } }, { idleExpiresAt: { $lte: now } }] }];
    } else if (args.state === 'TERMINATED') {
      where.state = 'TERMINATED';
    }
    return paginate(this.deps.em, Session, where, args);
  }

  /**
   * The user behind a login token. A token can outlive its user's row only if it was signed by
   * someone holding the realm's key for a user we never had: that is no caller at all.
   */
  async viewer(caller: UserCaller): Promise<User> {
    const now = this.deps.clock.now().getTime();
    const remembered = this.deps.userSnapshots.get(caller.realmId, caller.userId, now);
    if (remembered) return remembered;
    const [row] = await hotQuery<{ app_user: Record<string, unknown> }>(
      this.deps.em,
      'select to_jsonb(u) as app_user from app_user u where u.id = $1 and u.realm_id = $2',
      [caller.userId, caller.realmId],
    );
    if (!row) throw unauthenticated('Invalid or expired token');
    const user = hydrate(this.deps.em, User, row.app_user);
    this.deps.userSnapshots.remember(user, now);
    return user;
  }

  /** A session the caller already sees (its own token, a verified token): no access check. */
  sessionOf(realmId: string, sessionId: string): Promise<Session | null> {
    return this.deps.em.findOne(Session, { id: sessionId, realmId });
  }

  /**
   * The id of the session a subscriber may watch for its end: users their own (default: the
   * current one), admins with SESSIONS_READ any in reach; everything else NOT_FOUND.
   *
   * A user's current session is not read again: the caller was just authenticated against its
   * state, and the watch reads that state once more after it starts listening (an ended session
   * is reported at once). One row and an entity less for each forced-logout subscriber.
   */
  async sessionToWatch(caller: Caller, sessionId: string | null): Promise<string> {
    if (caller.kind === 'user') {
      const id = sessionId ?? caller.sessionId;
      if (!id) throw badInput('sessionId', 'an unmanaged token has no session to watch');
      if (id === caller.sessionId) return id;
      return (await this.getSession(caller, id)).id;
    }
    if (!sessionId) throw badInput('sessionId', 'sessionId is required for admin keys');
    return (await this.getSession(caller, sessionId)).id;
  }

  async requireRealmEvents(caller: Caller, realmId: string): Promise<void> {
    requireRealmScope(caller, realmId, 'SESSIONS_READ');
    if (!(await this.deps.em.findOne(Realm, { id: realmId }))) throw notFound('Realm');
  }

  /**
   * The managed session behind a token when it is still usable, else null. The hot path of every
   * authenticated call (behind SessionStateCache): one indexed row, read without ORM hydration.
   */
  async activeSession(sessionId: string, realmId: string, userId: string): Promise<ActiveSessionRow | null> {
    const [row] = await hotQuery<{ state: Session['state']; expires_at: Date; idle_expires_at: Date | null }>(
      this.deps.em,
      'select state, expires_at, idle_expires_at from session where id = $1 and realm_id = $2 and user_id = $3',
      [sessionId, realmId, userId],
    );
    if (!row) return null;
    const session = {
      id: sessionId,
      realmId,
      userId,
      state: row.state,
      expiresAt: new Date(row.expires_at),
      idleExpiresAt: row.idle_expires_at ? new Date(row.idle_expires_at) : null,
      terminationReason: null,
    };
    return effectiveState(session, this.deps.clock.now()).state === 'ACTIVE' ? session : null;
  }

  // ── termination ──────────────────────────────────────────────────────────────────────────────

  async logout(caller: Caller): Promise<boolean> {
    if (caller.kind !== 'user') throw unauthenticated('logout needs a user login token');
    if (!caller.sessionId) return false; // unmanaged tokens cannot be ended before exp
    await this.terminateWhere(caller, [{ realmId: caller.realmId, sessionId: caller.sessionId }, 'LOGOUT']);
    return true;
  }

  async terminateSession(caller: Caller, id: string): Promise<Session> {
    let reach: { realmId: string | null; userId: string | null };
    let reason: TerminationReason;
    if (caller.kind === 'user') {
      // Another user's session is NOT_FOUND, exactly like one that does not exist (SPEC §4).
      reach = { realmId: caller.realmId, userId: caller.userId };
      reason = id === caller.sessionId ? 'LOGOUT' : 'TERMINATED_BY_USER';
    } else {
      // Inside the key's realm filter the only question is the scope, whatever session it names:
      // asked first, so the termination below can be one statement.
      if (caller.kind !== 'admin' || !hasScope(caller, 'SESSIONS_TERMINATE')) missingInReach(caller, 'SESSIONS_TERMINATE', 'Session');
      reach = { realmId: realmFilter(caller) ?? null, userId: null };
      reason = 'TERMINATED_BY_ADMIN';
    }
    const now = this.deps.clock.now();
    // One round trip: find the session in the caller's reach, end it if it is ACTIVE (the same
    // exactly-once guard as endSessions) with its audit row, and answer it as it now is.
    const [row] = await hotQuery<{ session: Record<string, unknown>; ended: boolean }>(
      this.deps.em,
      `with target as (
         select id, realm_id from session
          where id = $1 and ($5::text is null or realm_id = $5) and ($6::text is null or user_id = $6)),
       ended as (
         update session s set state = 'TERMINATED', terminated_at = $2, termination_reason = $3
           from target t where s.id = t.id and s.realm_id = t.realm_id and s.state = 'ACTIVE'
         returning s.*),
       audited as (
         insert into audit_event (id, realm_id, type, actor, user_id, session_id, reason, ip, data, created_at)
         select tessera_audit_id(), realm_id, 'SESSION_TERMINATED', $4, user_id, id, $3, $7, '{}', $2 from ended)
       select coalesce((select to_jsonb(e) from ended e), (select to_jsonb(s) from session s join target t on s.id = t.id and s.realm_id = t.realm_id)) as session,
              exists (select 1 from ended) as ended`,
      [id, now, reason, actorOf(caller), reach.realmId, reach.userId, caller.ip],
    );
    if (!row?.session) throw notFound('Session');
    const session = hydrate(this.deps.em, Session, row.session);
    if (row.ended)
      this.deps.events.publish([
        terminationEvent({ id: session.id, user_id: session.userId, realm_id: session.realmId, terminated_at: session.terminatedAt }, reason, now),
      ]);
    return session;
  }

  async terminateAllSessions(caller: Caller, userId: string, keepCurrent: boolean): Promise<number> {
    if (caller.kind === 'user') {
      if (userId !== caller.userId) throw notFound('User');
      // The others end TERMINATED_BY_USER; the caller's own, unless kept, ends as a LOGOUT — in one
      // transaction, so the count is exactly what ended.
      const steps: TerminationStep[] = [[{ realmId: caller.realmId, userId, exceptSessionId: caller.sessionId }, 'TERMINATED_BY_USER']];
      if (!keepCurrent && caller.sessionId) steps.push([{ realmId: caller.realmId, sessionId: caller.sessionId }, 'LOGOUT']);
      return this.terminateWhere(caller, ...steps);
    }
    const realmId = realmFilter(caller);
    const user = (await this.deps.em.findOne(User, realmId ? { id: userId, realmId } : { id: userId })) ?? missingInReach(caller, 'SESSIONS_TERMINATE', 'User');
    requireRealmScope(caller, user.realmId, 'SESSIONS_TERMINATE', 'User');
    return this.terminateWhere(caller, [{ realmId: user.realmId, userId }, 'TERMINATED_BY_ADMIN']);
  }

  async terminateRealmSessions(caller: Caller, realmId: string): Promise<number> {
    requireRealmScope(caller, realmId, 'SESSIONS_TERMINATE');
    if (!(await this.deps.em.findOne(Realm, { id: realmId }))) throw notFound('Realm');
    return this.terminateWhere(caller, [{ realmId }, 'TERMINATED_BY_ADMIN']);
  }

  private async terminateWhere(caller: Caller, ...steps: TerminationStep[]): Promise<number> {
    const now = this.deps.clock.now();
    const endAll = async (em: EntityManager) => {
      const ended: SessionLifecycleEvent[] = [];
      for (const [target, reason] of steps) ended.push(...(await endSessions(em, target, reason, actorOf(caller), now, caller.ip)));
      return ended;
    };
    // One step is one statement, atomic without a transaction (and two round trips cheaper).
    const events = steps.length === 1 ? await endAll(this.deps.em) : await this.deps.em.transactional(endAll);
    this.deps.events.publish(events);
    return events.length;
  }
}

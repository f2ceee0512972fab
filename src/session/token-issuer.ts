import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Realm, User, type Session } from '../db/entities/index.js';
import { invalidRefreshToken } from '../errors.js';
import type { Clock } from '../clock.js';
import type { SessionEvents, SessionLifecycleEvent } from '../events/session-events.js';
import type { TokenKeys } from '../token/jwt.js';
import { buildClaims } from '../token/claims.js';
import { OrgService } from '../org/org.service.js';
import { SessionStore } from './session-store.js';
import { expiryReason } from './session-state.js';
import { MAX_REFRESH_TOKEN_LENGTH, hashRefreshToken, newSuccessorSeed, successorOf } from './refresh-tokens.js';

export interface LoginResult {
  accessToken: string;
  accessTokenExpiresAt: Date | null;
  refreshToken: string | null;
  session: Session | null;
  user: User;
}

export interface TokenIssuerDeps {
  em: EntityManager;
  clock: Clock;
  keys: TokenKeys;
  events: SessionEvents;
  refreshGraceSeconds: number;
  /**
   * Where single autocommitted statements of the session store run (Services.statements): an
   * EntityManager used only for its pool, never forked per request. Defaults to `em`.
   */
  statements?: EntityManager;
}

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

type RefreshOutcome = { ok: true; session: Session; nextToken: string } | { ok: false };

/** Login tokens: signing them (for logins and refreshes), and exchanging refresh tokens. */
export class TokenIssuer {
  #orgs: OrgService | undefined;
  #store: SessionStore | undefined;

  /** `deps.em` is read only when a method needs it. */
  constructor(private readonly deps: TokenIssuerDeps) {}

  private get store(): SessionStore {
    return (this.#store ??= new SessionStore(this.deps.statements ?? this.deps.em));
  }

  private get orgs(): OrgService {
    return (this.#orgs ??= new OrgService({ em: this.deps.em, clock: this.deps.clock }));
  }

  /** A login token for a user: of its managed session (null: unmanaged), valid until `expiresAt`. */
  async sign(realm: Realm, user: User, sessionId: string | null, now: Date, expiresAt: Date | null, apiKeyId: string | null = null): Promise<string> {
    const needsMemberships = realm.jwtFields.includes('MEMBERSHIPS');
    const memberships = needsMemberships ? await this.orgs.membershipsOfUser(realm.id, user.id) : [];
    const claims = buildClaims({ realm, user, memberships, sessionId, apiKeyId, tokenId: randomUUID(), issuedAt: now, expiresAt });
    return this.deps.keys.sign(realm.id, claims as Parameters<TokenKeys['sign']>[1]);
  }

  /**
   * What an unmanaged login answers: the token is the whole session, valid for `minutes` (null:
   * open-ended). An API-key login's token names its key (`apiKeyId`).
   */
  async issueUnmanaged(realm: Realm, user: User, now: Date, minutes: number | null, apiKeyId: string | null = null): Promise<LoginResult> {
    const expiresAt = tokenExpiry(minutes === null ? null : addSeconds(now, minutes * 60));
    const accessToken = await this.sign(realm, user, null, now, expiresAt, apiKeyId);
    return { accessToken, accessTokenExpiresAt: expiresAt, refreshToken: null, session: null, user };
  }

  /** What a login or refresh of a managed session answers: a login token that ends no later than the session. */
  async issueForSession(realm: Realm, user: User, session: Session, refreshToken: string, now: Date): Promise<LoginResult> {
    const byLifespan = addSeconds(now, session.accessTokenSeconds);
    const accessTokenExpiresAt = tokenExpiry(byLifespan < session.expiresAt ? byLifespan : session.expiresAt)!;
    const accessToken = await this.sign(realm, user, session.id, now, accessTokenExpiresAt);
    return { accessToken, accessTokenExpiresAt, refreshToken, session, user };
  }

  /**
   * A new login token and refresh token for a refresh token. The common case — an unspent token
   * of a live session — is one statement (SessionStore.rotate). With `realmId` (the OAuth token
   * endpoint of a realm's issuer) a token of any other realm is unknown: refused, and left alone.
   */
  async refresh(refreshToken: string, ip: string | null, realmId: string | null = null): Promise<LoginResult> {
    if (typeof refreshToken !== 'string' || refreshToken.length === 0 || refreshToken.length > MAX_REFRESH_TOKEN_LENGTH) {
      throw invalidRefreshToken();
    }
    const now = this.deps.clock.now();
    const seed = newSuccessorSeed();
    const nextToken = successorOf(refreshToken, seed);
    const presentedHash = hashRefreshToken(refreshToken);
    const rotated = await this.store.rotate({ presentedHash, nextHash: hashRefreshToken(nextToken), seed, now, ip, realmId });
    if (rotated) {
      const { session, realm, user } = rotated;
      this.deps.events.publish([
        { type: 'REFRESHED', sessionId: session.id, userId: session.userId, realmId: session.realmId, reason: null, at: now.toISOString() },
      ]);
      return this.issueForSession(realm, user, session, nextToken, now);
    }
    const outcome = await this.refreshCarefully(refreshToken, presentedHash, now, ip, realmId);
    if (!outcome.ok) throw invalidRefreshToken();
    const { session } = outcome;
    const [realm, user] = await Promise.all([
      this.deps.em.findOneOrFail(Realm, { id: session.realmId }),
      this.deps.em.findOneOrFail(User, { id: session.userId, realmId: session.realmId }),
    ]);
    return this.issueForSession(realm, user, session, outcome.nextToken, now);
  }

  /**
   * Everything but the common refresh — an unknown token, a spent one (inside the grace window or
   * a reuse), a session that ended or just ran out — in a transaction that locks the session and
   * the token, and hands out the same successor, ends the session, or refuses.
   */
  private async refreshCarefully(refreshToken: string, presentedHash: string, now: Date, ip: string | null, realmId: string | null): Promise<RefreshOutcome> {
    const events: SessionLifecycleEvent[] = [];
    const outcome = await this.deps.em.transactional(async (em): Promise<RefreshOutcome> => {
      const store = new SessionStore(em);
      const locked = await store.lockForRefresh(presentedHash, realmId);
      if (!locked || locked.session.state !== 'ACTIVE') return { ok: false };
      const { session, rotatedAt, successorSeed } = locked;
      const by = { actor: 'system', ip, now };
      if (expiryReason(session, now)) {
        events.push(...(await store.expire({ realmId: session.realmId, sessionId: session.id }, by)));
        return { ok: false };
      }
      // An unspent token of a live session: SessionStore.rotate rotates exactly these, and none of
      // the conditions it missed (spent, ended, ran out) can be undone since. Not reached.
      if (!rotatedAt) return { ok: false };
      const withinGrace = now.getTime() - rotatedAt.getTime() <= this.deps.refreshGraceSeconds * 1000;
      if (withinGrace && successorSeed) {
        // Same token twice inside the grace window (two tabs): hand out the same successor — but
        // only while that successor is the session's current token. R1 after R1 → R2 → R3 would
        // hand out R2, already spent: that is a replay of an older token, reuse (test/refresh.test.ts).
        const nextToken = successorOf(refreshToken, successorSeed);
        if (await store.isUnspent(hashRefreshToken(nextToken), session.id)) return { ok: true, session, nextToken };
      }
      // A spent token after the grace window (or an older one than the last): someone kept a copy. End the session for everyone.
      events.push(...(await store.endReused(session, by)));
      return { ok: false };
    });
    this.deps.events.publish(events);
    return outcome;
  }
}

import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../clock.js';
import type { SessionEvents } from '../events/session-events.js';
import { MAX_TOKEN_BYTES, type TokenKeys } from '../token/jwt.js';
import type { TokenVerifier } from '../token/token-verifier.js';
import { MAX_REFRESH_TOKEN_LENGTH, hashRefreshToken } from './refresh-tokens.js';
import { SessionStore } from './session-store.js';
import { effectiveState, sessionEnd } from './session-state.js';

/** What RFC 7662 introspection answers: `{ active: false }`, or the token's facts while it is usable. */
export type Introspection =
  | { active: false }
  | {
      active: true;
      token_type: 'Bearer' | 'refresh_token';
      iss: string;
      sub: string;
      sid?: string;
      exp?: number;
      iat: number;
      jti?: string;
      username?: string;
    };

export interface TokenStatusDeps {
  em: EntityManager;
  clock: Clock;
  keys: TokenKeys;
  tokens: TokenVerifier;
  events: SessionEvents;
  issuerOf(realmId: string): string;
}

type TokenKind = 'access' | 'refresh' | 'garbage';

/**
 * Login tokens (JWTs) always hold dots; refresh tokens are base64url without any. The two shapes
 * never overlap, so a token_type_hint is never needed — nor, when it lies, able to mislead.
 * Anything longer than either may be is refused before hashing or crypto.
 */
function kindOf(token: string): TokenKind {
  if (token.includes('.')) return token.length <= MAX_TOKEN_BYTES ? 'access' : 'garbage';
  return token.length > 0 && token.length <= MAX_REFRESH_TOKEN_LENGTH ? 'refresh' : 'garbage';
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/**
 * Tokens as relying parties ask about them (RFC 7662 introspection, RFC 7009 revocation), always
 * inside one realm: a token of another realm is unknown here, never revealed and never touched.
 */
export class TokenStatusService {
  constructor(private readonly deps: TokenStatusDeps) {}

  /**
   * Active only while the token verifies and its managed session is ACTIVE — the same check as
   * every authenticated request (TokenVerifier), so an ended session reads inactive at once.
   */
  async introspect(realmId: string, token: string): Promise<Introspection> {
    const kind = kindOf(token);
    if (kind === 'access') {
      const check = await this.deps.tokens.check(token);
      if (!check.valid || check.realmId !== realmId) return { active: false };
      const { claims } = check;
      return {
        active: true,
        token_type: 'Bearer',
        iss: claims.iss,
        sub: claims.sub,
        ...(check.sessionId ? { sid: check.sessionId } : {}),
        ...(typeof claims.exp === 'number' ? { exp: claims.exp } : {}),
        iat: claims.iat,
        jti: claims.jti,
        ...(typeof claims.un === 'string' ? { username: claims.un } : {}),
      };
    }
    if (kind === 'refresh') return this.introspectRefreshToken(realmId, token);
    return { active: false };
  }

  /** A refresh token is usable while it is unspent and its session is live (until the session's deadline). */
  private async introspectRefreshToken(realmId: string, token: string): Promise<Introspection> {
    const row = await new SessionStore(this.deps.em).refreshTokenOf(hashRefreshToken(token), realmId);
    if (!row || row.rotatedAt) return { active: false };
    const now = this.deps.clock.now();
    if (effectiveState({ ...row, terminationReason: null }, now).state !== 'ACTIVE') return { active: false };
    return {
      active: true,
      token_type: 'refresh_token',
      iss: this.deps.issuerOf(realmId),
      sub: row.userId,
      sid: row.sessionId,
      exp: seconds(sessionEnd(row).at),
      iat: seconds(row.createdAt),
      username: row.username,
    };
  }

  /**
   * RFC 7009: a refresh token or a managed login token of this realm ends its session (reason
   * LOGOUT, audited as the client's doing). Anything else — unknown, garbage, another realm's, an
   * unmanaged token — changes nothing; the endpoint answers 200 either way (RFC 7009 §2.2).
   */
  async revoke(realmId: string, token: string, by: { actor: string; ip: string | null }): Promise<void> {
    const sessionId = await this.sessionOfToken(realmId, token);
    if (!sessionId) return;
    const ended = await new SessionStore(this.deps.em).end({ realmId, sessionId }, 'LOGOUT', { ...by, now: this.deps.clock.now() });
    this.deps.events.publish(ended);
  }

  private async sessionOfToken(realmId: string, token: string): Promise<string | null> {
    const kind = kindOf(token);
    if (kind === 'refresh') return (await new SessionStore(this.deps.em).refreshTokenOf(hashRefreshToken(token), realmId))?.sessionId ?? null;
    if (kind !== 'access') return null;
    // The signature is enough: ending a session that already ended changes nothing.
    const check = await this.deps.keys.verify(token);
    if (!check.valid || check.realmId !== realmId || typeof check.claims.sid !== 'string') return null;
    return check.claims.sid;
  }
}

import type { TokenKeys, TokenClaims, TokenRejection } from './jwt.js';
import type { SessionService } from '../session/session.service.js';
import type { SessionStateCache } from '../session/session-state-cache.js';
import type { Clock } from '../clock.js';

export type LoginTokenCheck =
  | { valid: true; claims: TokenClaims; realmId: string; userId: string; sessionId: string | null }
  | { valid: false; reason: TokenRejection | 'SESSION_NOT_ACTIVE' };

/** Full server-side check of a login token: signature and claims, then the managed session's state. */
export class TokenVerifier {
  constructor(
    private readonly keys: TokenKeys,
    /** Asked only when the cache cannot answer (a getter: most checks need no EntityManager). */
    private readonly sessions: () => SessionService,
    private readonly cache: SessionStateCache,
    private readonly clock: Clock,
  ) {}

  async check(token: string): Promise<LoginTokenCheck> {
    const result = await this.keys.verify(token);
    if (!result.valid) return result;
    const { claims, realmId } = result;
    const sessionId = typeof claims.sid === 'string' ? claims.sid : null;
    if (sessionId && !this.cache.isKnownActive(sessionId, realmId, claims.sub, this.clock.now().getTime())) {
      const active = await this.sessions().activeSession(sessionId, realmId, claims.sub);
      if (!active) return { valid: false, reason: 'SESSION_NOT_ACTIVE' };
      this.cache.rememberActive(active, this.clock.now().getTime());
    }
    return { valid: true, claims, realmId, userId: claims.sub, sessionId };
  }
}

import type { TokenKeys, TokenClaims, TokenRejection } from './jwt.js';
import type { SessionService } from '../session/session.service.js';
import type { SessionStateCache } from '../session/session-state-cache.js';
import type { SubjectStates } from '../user/subject-states.js';
import type { UserStore } from '../user/user-store.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';

export type LoginTokenCheck =
  | { valid: true; claims: TokenClaims; realmId: string; userId: string; sessionId: string | null }
  | { valid: false; reason: TokenRejection | SubjectRejection | 'SESSION_NOT_ACTIVE' };

/** Why an unmanaged token of a well-signed shape is refused: its user or its API key. */
export type SubjectRejection = 'USER_NOT_FOUND' | 'USER_DISABLED' | 'API_KEY_REVOKED' | 'INVALID_CLAIMS';

/**
 * Full server-side check of a login token: signature and claims, then the managed session's state
 * — or, for an unmanaged token, which no session stands for, its user's and its API key's.
 */
export class TokenVerifier {
  constructor(
    private readonly keys: TokenKeys,
    /** Asked only when the cache cannot answer (a getter: most checks need no EntityManager). */
    private readonly sessions: () => SessionService,
    private readonly cache: SessionStateCache,
    private readonly clock: Clock,
    private readonly subjects: { states: SubjectStates; store: () => UserStore },
    private readonly logger?: Logger,
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
    // A managed session is ACTIVE only while its user is enabled: disabling or deleting a user
    // ends its sessions in the same transaction (UserService).
    if (!sessionId) {
      const refused = await this.subjectRejection(realmId, claims);
      if (refused === 'API_KEY_REVOKED') {
        // A security event (docs/operations.md#logs-signals-and-shutdown): the key's id, never the token.
        this.logger?.warn('token refused: its API key is revoked', { realm: realmId, user: claims.sub, apiKey: claims.akid });
      }
      if (refused) return { valid: false, reason: refused };
    }
    return { valid: true, claims, realmId, userId: claims.sub, sessionId };
  }

  /**
   * An unmanaged token is refused once its user is disabled or deleted, and an API user's once the
   * key it names is revoked (docs/security.md#unmanaged-and-api-tokens). From memory when known
   * (SubjectStates), else one statement.
   */
  private async subjectRejection(realmId: string, claims: TokenClaims): Promise<SubjectRejection | null> {
    const { states } = this.subjects;
    const now = this.clock.now().getTime();
    const apiKeyId = typeof claims.akid === 'string' ? claims.akid : null;
    let user = states.user(claims.sub, now);
    let apiKey = apiKeyId ? states.apiKey(apiKeyId, now) : null;
    if (user === undefined || apiKey === undefined) {
      const generation = states.generation;
      ({ user, apiKey } = await this.subjects.store().tokenSubject(realmId, claims.sub, apiKeyId));
      states.remember(generation, claims.sub, user, apiKeyId ? { id: apiKeyId, state: apiKey } : null, now);
    }
    if (!user || user.realmId !== realmId) return 'USER_NOT_FOUND';
    if (user.disabled) return 'USER_DISABLED';
    // An API user's token names its key; a human's names none (tokens issued before keys were named
    // included: their user logs in again).
    if ((user.kind === 'API') !== (apiKeyId !== null)) return 'INVALID_CLAIMS';
    if (apiKeyId && (!apiKey || apiKey.revoked || apiKey.userId !== claims.sub || apiKey.realmId !== realmId)) return 'API_KEY_REVOKED';
    return null;
  }
}

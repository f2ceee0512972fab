import type { TokenKeys, TokenClaims, TokenRejection } from './jwt.js';
import type { SessionService } from '../session/session.service.js';

export type LoginTokenCheck =
  | { valid: true; claims: TokenClaims; realmId: string; userId: string; sessionId: string | null }
  | { valid: false; reason: TokenRejection | 'SESSION_NOT_ACTIVE' };

/** Full server-side check of a login token: signature and claims, then the managed session's state. */
export class TokenVerifier {
  constructor(
    private readonly keys: TokenKeys,
    private readonly sessions: SessionService,
  ) {}

  async check(token: string): Promise<LoginTokenCheck> {
    const result = await this.keys.verify(token);
    if (!result.valid) return result;
    const { claims, realmId } = result;
    const sessionId = typeof claims.sid === 'string' ? claims.sid : null;
    if (sessionId && !(await this.sessions.isSessionActive(sessionId, realmId, claims.sub))) {
      return { valid: false, reason: 'SESSION_NOT_ACTIVE' };
    }
    return { valid: true, claims, realmId, userId: claims.sub, sessionId };
  }
}

import { unauthenticated } from '../errors.js';
import type { Caller } from './caller.js';
import { ADMIN_KEY_PREFIX } from './admin-keys.js';
import type { AdminCaller } from './caller.js';
import type { TokenVerifier } from '../token/token-verifier.js';
import type { EndedSessionToken } from '../token/ended-session-token.js';

/** What a caller presenting an unknown or revoked admin key is told (and what the log looks for). */
export const ADMIN_KEY_REFUSED = 'Invalid admin key';

/**
 * Bearer credential → Caller. No credential is an anonymous caller; a credential that does not
 * check out is an error (UNAUTHENTICATED), never a silent downgrade to anonymous.
 */
export async function authenticate(
  authorization: string | null | undefined,
  ip: string | null,
  deps: { adminKeys: { authenticate(secret: string, ip: string | null): Promise<AdminCaller | null> }; tokens: TokenVerifier },
): Promise<Caller> {
  if (!authorization) return { kind: 'anonymous', ip };
  const credential = bearerCredential(authorization);
  if (!credential) throw unauthenticated('Authorization must be "Bearer <token>"');
  if (credential.startsWith(ADMIN_KEY_PREFIX)) {
    const admin = await deps.adminKeys.authenticate(credential, ip);
    if (!admin) throw unauthenticated(ADMIN_KEY_REFUSED);
    return admin;
  }
  const check = await deps.tokens.check(credential);
  if (!check.valid) {
    throw unauthenticated(check.reason === 'SESSION_NOT_ACTIVE' ? 'Session is no longer active' : 'Invalid or expired token');
  }
  return { kind: 'user', realmId: check.realmId, userId: check.userId, sessionId: check.sessionId, claims: check.claims, ip };
}

/**
 * For a bearer login token that `authenticate` refused: the ended session it names, if it is an
 * authentic token of one (its only use left: `sessionTerminated` on that session). Null otherwise.
 */
export async function endedSessionFor(
  authorization: string | null | undefined,
  deps: { endedSessionOf(token: string): Promise<EndedSessionToken | null> },
): Promise<EndedSessionToken | null> {
  const credential = authorization ? bearerCredential(authorization) : null;
  if (!credential || credential.startsWith(ADMIN_KEY_PREFIX)) return null;
  return deps.endedSessionOf(credential);
}

/** The credential of an `Authorization: Bearer <credential>` header, or null for any other shape. */
function bearerCredential(authorization: string): string | null {
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] ?? null;
}

import { decodeJwt } from 'jose';
import type { TokenKeys } from './jwt.js';
import type { SessionService } from '../session/session.service.js';

/** The managed session an authentic login token names, once that session has ended. */
export interface EndedSessionToken {
  realmId: string;
  userId: string;
  sessionId: string;
}

/**
 * A tab that slept through its forced logout wakes with a token of a session that has ended, often
 * past its exp too. That token may still learn *that* its session ended, and why: the one thing it
 * is good for (`sessionTerminated` on its own session, docs/events.md). Its signature, issuer and
 * claims are checked as at its issue time; the session must exist and have ended. Nothing else
 * accepts it.
 */
export async function endedSessionOfToken(token: string, deps: { keys: TokenKeys; sessions: () => SessionService }): Promise<EndedSessionToken | null> {
  let issuedAt: unknown;
  try {
    issuedAt = decodeJwt(token).iat;
  } catch {
    return null;
  }
  if (typeof issuedAt !== 'number' || !Number.isFinite(issuedAt)) return null;
  const check = await deps.keys.verify(token, new Date(issuedAt * 1000));
  if (!check.valid || typeof check.claims.sid !== 'string') return null;
  const ended = await deps.sessions().endedSession(check.claims.sid, check.realmId, check.claims.sub);
  return ended ? { realmId: check.realmId, userId: check.claims.sub, sessionId: check.claims.sid } : null;
}

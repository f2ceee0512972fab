import type { Session, SessionState, TerminationReason } from '../db/entities/index.js';

/**
 * The state a session has *now*. A session past its absolute or idle expiry reads EXPIRED even
 * before the sweeper has written that down, so no code path can treat it as live.
 */
export function effectiveState(
  session: Pick<Session, 'state' | 'expiresAt' | 'idleExpiresAt' | 'terminationReason'>,
  now: Date,
): { state: SessionState; reason: TerminationReason | null } {
  if (session.state !== 'ACTIVE') return { state: session.state, reason: session.terminationReason as TerminationReason | null };
  const expiry = expiryReason(session, now);
  return expiry ? { state: 'EXPIRED', reason: expiry } : { state: 'ACTIVE', reason: null };
}

export function expiryReason(session: Pick<Session, 'expiresAt' | 'idleExpiresAt'>, now: Date): TerminationReason | null {
  if (session.expiresAt.getTime() <= now.getTime()) return 'EXPIRED';
  if (session.idleExpiresAt && session.idleExpiresAt.getTime() <= now.getTime()) return 'IDLE_TIMEOUT';
  return null;
}

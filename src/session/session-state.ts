import type { Session, SessionState, TerminationReason } from '../db/entities/index.js';

// The liveness rule in TypeScript: a session is live until its earlier deadline (absolute or idle),
// and then ends with that deadline's reason. session-store.sql.ts sessionRule is the same rule in
// SQL; test/session-rule.property.test.ts holds the two to each other.

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

/** When a session ended as it reads now (its deadline, for one that ran out); null while it is live. */
export function endedAt(session: Pick<Session, 'state' | 'expiresAt' | 'idleExpiresAt' | 'terminatedAt'>, now: Date): Date | null {
  if (session.state !== 'ACTIVE') return session.terminatedAt ?? null;
  const end = sessionEnd(session);
  return end.at.getTime() > now.getTime() ? null : end.at;
}

/**
 * Why a session ran out, or null while it has not. The deadline that passed *first* names the
 * reason, so the answer never changes with time: a session that went idle and was only later also
 * past its absolute expiry stays IDLE_TIMEOUT (as the sweeper writes it down, SessionStore.expireDue).
 */
export function expiryReason(session: Pick<Session, 'expiresAt' | 'idleExpiresAt'>, now: Date): TerminationReason | null {
  const end = sessionEnd(session);
  if (end.at.getTime() > now.getTime()) return null;
  return end.reason;
}

/** The moment a session runs out if nothing ends it earlier, and the reason it will then carry. */
export function sessionEnd(session: Pick<Session, 'expiresAt' | 'idleExpiresAt'>): { at: Date; reason: 'EXPIRED' | 'IDLE_TIMEOUT' } {
  const idle = session.idleExpiresAt;
  return idle && idle.getTime() < session.expiresAt.getTime() ? { at: idle, reason: 'IDLE_TIMEOUT' } : { at: session.expiresAt, reason: 'EXPIRED' };
}

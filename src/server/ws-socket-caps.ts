import type { Connection } from './ws-connection.js';

export interface SocketCapLimits {
  perSession: number;
  perUser: number;
}

/**
 * How many sockets each managed session and each user holds open on this instance (issue: one
 * token opened 300). Counted per instance, not across instances: a cap that needed a shared
 * counter would put Redis or the database in front of every connect, and behind a load balancer
 * a client's sockets spread over the instances anyway (docs/security.md#abusive-requests).
 */
export class SocketCaps {
  private readonly bySession = new Map<string, number>();
  private readonly byUser = new Map<string, number>();

  constructor(private readonly limits: SocketCapLimits) {}

  /**
   * Counts the connection in, or names the cap it would pass (and counts nothing). A connection
   * counted here must be released when it closes.
   */
  admit(connection: Connection, userId: string, sessionId: string | null): 'ok' | 'session' | 'user' {
    if (sessionId !== null && (this.bySession.get(sessionId) ?? 0) >= this.limits.perSession) return 'session';
    if ((this.byUser.get(userId) ?? 0) >= this.limits.perUser) return 'user';
    if (sessionId !== null) this.bySession.set(sessionId, (this.bySession.get(sessionId) ?? 0) + 1);
    this.byUser.set(userId, (this.byUser.get(userId) ?? 0) + 1);
    connection.counted = { userId, sessionId };
    return 'ok';
  }

  release(connection: Connection): void {
    const counted = connection.counted;
    if (!counted) return;
    connection.counted = null;
    if (counted.sessionId !== null) decrement(this.bySession, counted.sessionId);
    decrement(this.byUser, counted.userId);
  }
}

/** Entries at zero go: a map of every user that ever connected would only grow. */
function decrement(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left > 0) counts.set(key, left);
  else counts.delete(key);
}

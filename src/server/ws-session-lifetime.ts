import type { Clock } from '../clock.js';
import type { SessionWatchers } from '../session/session-watchers.js';
import { CLOSE_SESSION_ENDED, type Connection, type Transport } from './ws-connection.js';

/** How long a socket of an ended session may take to deliver what it still owes before it is closed anyway. */
export const ENDED_SESSION_CLOSE_GUARD_MS = 2_000;
/** setTimeout's longest delay (about 24.8 days); a later `exp` is waited for in several steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A socket lives as long as the credential it was opened with: its managed session, or its admin
 * key. Each watch is set up by a method of its own: a closure made in the connection's handler
 * would keep every variable of that handler that any closure there uses (the token among them)
 * alive for the socket's life.
 */
export class SocketLifetimes {
  constructor(
    private readonly watchers: SessionWatchers,
    private readonly transport: Transport,
    private readonly clock: Clock,
  ) {}

  /**
   * A socket whose session has ended is closed with 4403 — but only once every operation that
   * watches that session has delivered its event and completed (or an operation whose target is not
   * known yet has resolved it): closing first would drop the very forced-logout event the client
   * subscribed to. Operations on other sessions do not hold it open.
   */
  closeIfDone(connection: Connection): void {
    if (!connection.sessionEnded) return;
    for (const watch of connection.ops.values()) if (watch !== 'other') return;
    this.transport.close(connection, CLOSE_SESSION_ENDED, 'Session terminated');
  }

  /**
   * An admin-key socket lives only as long as its key: re-checked on every pass of the watchers, so
   * a revoked key stops receiving realm events within one interval.
   */
  watchAdminKey(connection: Connection, keyId: string): () => void {
    return this.watchers.watchAdminKey(keyId, () => this.transport.close(connection, CLOSE_SESSION_ENDED, 'Credential revoked'));
  }

  /**
   * A socket authenticated by a managed session lives only as long as that session. A session that
   * ended between the authentication and this point closes the socket at once too: SessionWatchers
   * reads the state of a newly watched session after it listens.
   */
  watchOwnSession(connection: Connection, sessionId: string): () => void {
    return this.watchers.watch(sessionId, () => {
      connection.sessionEnded = true;
      this.closeIfDone(connection);
      // Guard against an operation that never finishes delivering holding the socket open.
      setTimeout(() => this.transport.close(connection, CLOSE_SESSION_ENDED, 'Session terminated'), ENDED_SESSION_CLOSE_GUARD_MS).unref();
    });
  }

  /**
   * A socket opened with a token that names no session (an unmanaged login, an API key's token)
   * lives as long as that token: it is closed with 4403 at the token's `exp`, on the server's
   * clock. A token without `exp` (an open-ended unmanaged session) sets no timer.
   */
  closeAtExpiry(connection: Connection, expiresAtMs: number): () => void {
    let timer: NodeJS.Timeout | null = null;
    const arm = () => {
      const left = expiresAtMs - this.clock.now().getTime();
      if (left <= 0) {
        timer = null;
        this.transport.close(connection, CLOSE_SESSION_ENDED, 'Token expired');
        return;
      }
      timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
      timer.unref();
    };
    arm();
    return () => {
      if (timer) clearTimeout(timer);
      timer = null;
    };
  }
}

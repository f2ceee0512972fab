import type { Caller } from '../auth/caller.js';
import type { Clock } from '../clock.js';
import type { Services } from '../services.js';
import type { SessionEvents } from '../events/session-events.js';
import type { TesseraMetrics } from '../server/metrics.js';
import type { SessionWatchers } from '../session/session-watchers.js';
import type { EndedSessionToken } from '../token/ended-session-token.js';

export interface GraphQLContext {
  /** The authenticated caller, resolved on first use; throws UNAUTHENTICATED for a bad credential. */
  caller(): Promise<Caller>;
  /** When the credential is an authentic token of a session that has ended: that session (else null). */
  endedSession(): Promise<EndedSessionToken | null>;
  /** The client's IP as we trust it (see server/client-ip.ts). */
  ip: string | null;
  services: Services;
  clock: Clock;
  events: SessionEvents;
  metrics: TesseraMetrics;
  watchers: SessionWatchers;
  /** Base of issuers and JWKS URLs. */
  publicUrl: string;
}

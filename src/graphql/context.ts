import type { Caller } from '../auth/caller.js';
import type { Clock } from '../clock.js';
import type { Services } from '../services.js';
import type { SessionEvents } from '../events/session-events.js';
import type { TesseraMetrics } from '../server/metrics.js';
import type { SessionWatchers } from '../session/session-watchers.js';

export interface GraphQLContext {
  /** The authenticated caller, resolved on first use; throws UNAUTHENTICATED for a bad credential. */
  caller(): Promise<Caller>;
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

import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { TokenKeys } from './token/jwt.js';
import type { SessionEvents } from './events/session-events.js';
import { RealmService } from './realm/realm.service.js';
import { UserService } from './user/user.service.js';
import { OrgService } from './org/org.service.js';
import { SessionService } from './session/session.service.js';
import { AuditService } from './audit/audit.service.js';
import { TokenVerifier } from './token/token-verifier.js';
import type { SessionStateCache } from './session/session-state-cache.js';

/** Long-lived parts of a running server, shared by every request. */
export interface AppDeps {
  orm: MikroORM;
  clock: Clock;
  config: Config;
  keys: TokenKeys;
  events: SessionEvents;
  sessionCache: SessionStateCache;
}

export type Services = ReturnType<typeof createServices>;

/** The domain services for one unit of work (a request, a CLI command), on one EntityManager. */
export function createServices(deps: AppDeps, em: EntityManager = deps.orm.em.fork()) {
  const { clock, keys, events, config } = deps;
  const sessions = new SessionService({ em, clock, keys, events, refreshGraceSeconds: config.refreshGraceSeconds });
  return {
    em,
    realms: new RealmService({ em, clock, keys }),
    users: new UserService({ em, clock, events }),
    orgs: new OrgService({ em, clock }),
    sessions,
    audit: new AuditService({ em }),
    tokens: new TokenVerifier(keys, sessions, deps.sessionCache, clock),
  };
}

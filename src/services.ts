import type { Logger } from './logger.js';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { TokenKeys } from './token/jwt.js';
import type { SessionEvents } from './events/session-events.js';
import type { EventRecord } from './events/event-record.js';
import { RealmService } from './realm/realm.service.js';
import { UserService } from './user/user.service.js';
import { OrgService } from './org/org.service.js';
import { SessionService } from './session/session.service.js';
import { LoginService } from './session/login.service.js';
import { TokenIssuer } from './session/token-issuer.js';
import { TerminationService } from './session/termination.service.js';
import { AuditService } from './audit/audit.service.js';
import { TokenVerifier } from './token/token-verifier.js';
import { ClientService } from './client/client.service.js';
import { TokenStatusService } from './session/token-status.service.js';
import { realmIssuer } from './token/jwt.js';
import { endedSessionOfToken, type EndedSessionToken } from './token/ended-session-token.js';
import type { SessionStateCache } from './session/session-state-cache.js';
import type { UserSnapshots } from './user/user-snapshots.js';
import type { SubjectStates } from './user/subject-states.js';
import { UserStore } from './user/user-store.js';
import type { CacheInvalidations } from './events/cache-invalidations.js';
import type { PasswordHasher } from './auth/password.js';
import type { PasswordPolicy } from './user/password-policy.js';
import type { ClientCredentialCache } from './client/client-credential-cache.js';
import { WebhookService } from './webhook/webhook.service.js';
import type { TargetRules } from './delivery/target-address.js';
import { AdminKeyService } from './auth/admin-keys.js';
import type { LocalOperatorCredential } from './auth/local-operator.js';

/** Long-lived parts of a running server, shared by every request. */
export interface AppDeps {
  orm: MikroORM;
  clock: Clock;
  config: Config;
  keys: TokenKeys;
  events: SessionEvents;
  /** The durable event record: catch-up and realm feeds (events/event-record.ts). */
  record: EventRecord;
  sessionCache: SessionStateCache;
  userSnapshots: UserSnapshots;
  /** Users' and API keys' state for unmanaged tokens' checks. */
  subjectStates: SubjectStates;
  invalidations: CacheInvalidations;
  passwords: PasswordHasher;
  /** What a new password must be (PASSWORD_MIN_LENGTH, the common-password list). */
  passwordPolicy: PasswordPolicy;
  clientCredentials: ClientCredentialCache;
  /** An embedded server's credential for the CLI beside it (auth/local-operator.ts); null otherwise. */
  localOperator: LocalOperatorCredential | null;
  /** For security events the services meet (a revoked API key used). */
  logger: Logger;
}

/**
 * The domain services for one unit of work (a request, a CLI command), on one EntityManager.
 * Each is made on first use, the EntityManager too: most requests use one or two services, and a
 * token check answered from memory uses none — forking an EntityManager per request cost more than
 * that whole check.
 */
export class Services {
  #em: EntityManager | undefined;
  /** The EntityManager given to the constructor (a transaction's, a command's), if any. */
  readonly #given: EntityManager | undefined;
  #realms: RealmService | undefined;
  #users: UserService | undefined;
  #orgs: OrgService | undefined;
  #sessions: SessionService | undefined;
  #logins: LoginService | undefined;
  #issuer: TokenIssuer | undefined;
  #terminations: TerminationService | undefined;
  #audit: AuditService | undefined;
  #tokens: TokenVerifier | undefined;
  #clients: ClientService | undefined;
  #tokenStatus: TokenStatusService | undefined;
  #webhooks: WebhookService | undefined;
  #adminKeys: AdminKeyService | undefined;

  constructor(
    private readonly deps: AppDeps,
    em?: EntityManager,
  ) {
    this.#em = em;
    this.#given = em;
  }

  get record(): EventRecord {
    return this.deps.record;
  }

  get em(): EntityManager {
    return (this.#em ??= this.deps.orm.em.fork());
  }

  /**
   * Where the session stores' single autocommitted statements run: the given EntityManager when
   * there is one (it may be a transaction's), else one EntityManager per ORM, shared by every request.
   * Those statements use an EntityManager only for its pool and metadata (db/sql.ts runSql,
   * db/hydrate.ts) — never its identity map or a transaction — so sharing one is the same as a fork
   * per request, without the fork: 3–4 % of a refresh's and a listSessions' main thread.
   */
  get statements(): EntityManager {
    return this.#given ?? statementsOf(this.deps.orm);
  }

  get realms(): RealmService {
    const { clock, keys, events, invalidations } = this.deps;
    return (this.#realms ??= new RealmService({ em: this.em, clock, keys, events, invalidations }));
  }

  get users(): UserService {
    return (this.#users ??= new UserService({
      em: this.em,
      clock: this.deps.clock,
      events: this.deps.events,
      userSnapshots: this.deps.userSnapshots,
      invalidations: this.deps.invalidations,
      passwords: this.deps.passwords,
      passwordPolicy: this.deps.passwordPolicy,
    }));
  }

  get adminKeys(): AdminKeyService {
    const { clock, invalidations, localOperator } = this.deps;
    return (this.#adminKeys ??= new AdminKeyService(this.withLazyEm({ clock, invalidations, localOperator })));
  }

  get orgs(): OrgService {
    return (this.#orgs ??= new OrgService({ em: this.em, clock: this.deps.clock }));
  }

  /**
   * `deps` with an `em` that is forked when a service first touches it, not here: a `me` answered
   * from the user cache needs none, and a fork cost as much as the rest of that request.
   */
  private withLazyEm<T extends object>(deps: T): T & { em: EntityManager } {
    return Object.defineProperty(deps, 'em', { get: () => this.em, enumerable: true }) as T & { em: EntityManager };
  }

  get sessions(): SessionService {
    return (this.#sessions ??= new SessionService(
      this.withLazyEm({ clock: this.deps.clock, userSnapshots: this.deps.userSnapshots, statements: this.statements }),
    ));
  }

  get logins(): LoginService {
    const { clock, events, userSnapshots, passwords, passwordPolicy, logger } = this.deps;
    return (this.#logins ??= new LoginService(this.withLazyEm({ clock, issuer: this.issuer, events, userSnapshots, passwords, passwordPolicy, logger })));
  }

  get issuer(): TokenIssuer {
    const { clock, keys, events, config } = this.deps;
    return (this.#issuer ??= new TokenIssuer(
      this.withLazyEm({ clock, keys, events, refreshGraceSeconds: config.refreshGraceSeconds, statements: this.statements }),
    ));
  }

  get terminations(): TerminationService {
    return (this.#terminations ??= new TerminationService(this.withLazyEm({ clock: this.deps.clock, events: this.deps.events, statements: this.statements })));
  }

  get audit(): AuditService {
    return (this.#audit ??= new AuditService({ em: this.em }));
  }

  get clients(): ClientService {
    return (this.#clients ??= new ClientService(
      this.withLazyEm({ clock: this.deps.clock, rules: targetRules(this.deps.config), credentials: this.deps.clientCredentials }),
    ));
  }

  get webhooks(): WebhookService {
    const { clock, keys, config } = this.deps;
    return (this.#webhooks ??= new WebhookService(this.withLazyEm({ clock, sealer: keys.sealer, rules: targetRules(config) })));
  }

  /** Introspection and revocation for relying parties (the OAuth endpoints). */
  get tokenStatus(): TokenStatusService {
    const { clock, keys, events, config } = this.deps;
    return (this.#tokenStatus ??= new TokenStatusService(
      this.withLazyEm({ clock, keys, events, tokens: this.tokens, issuerOf: (realmId: string) => realmIssuer(config.publicUrl, realmId) }),
    ));
  }

  /** The ended session an authentic token of it names, else null (token/ended-session-token.ts). */
  endedSessionOf(token: string): Promise<EndedSessionToken | null> {
    return endedSessionOfToken(token, { keys: this.deps.keys, sessions: () => this.sessions });
  }

  get tokens(): TokenVerifier {
    const { keys, sessionCache, clock, subjectStates, logger } = this.deps;
    return (this.#tokens ??= new TokenVerifier(
      keys,
      () => this.sessions,
      sessionCache,
      clock,
      {
        states: subjectStates,
        store: () => new UserStore(this.em),
      },
      logger,
    ));
  }
}

const statementEms = new WeakMap<MikroORM, EntityManager>();

/** The shared EntityManager of Services.statements: a fork, so that it never needs a request context. */
function statementsOf(orm: MikroORM): EntityManager {
  let em = statementEms.get(orm);
  if (!em) statementEms.set(orm, (em = orm.em.fork()));
  return em;
}

/** What outbound URLs (webhooks, back-channel logout) may point at (docs/webhooks.md#target-urls). */
export function targetRules(config: Config): TargetRules {
  return { allowPrivate: config.webhookAllowPrivateTargets, allowHttp: !config.production };
}

export function createServices(deps: AppDeps, em?: EntityManager): Services {
  return new Services(deps, em);
}

import type { EntityManager } from '@mikro-orm/postgresql';
import { Realm, User, type Session, type TerminationReason } from '../db/entities/index.js';
import { notFound, unauthenticated } from '../errors.js';
import type { Clock } from '../clock.js';
import { actorOf, type Caller } from '../auth/caller.js';
import { hasScope, missingInReach, realmFilter, requireRealmScope } from '../auth/access.js';
import type { SessionEvents, SessionLifecycleEvent } from '../events/session-events.js';
import { SessionStore, type EndTarget, type SessionReach } from './session-store.js';

export interface TerminationServiceDeps {
  em: EntityManager;
  clock: Clock;
  events: SessionEvents;
  /**
   * Where single autocommitted statements of the session store run (Services.statements): an
   * EntityManager used only for its pool, never forked per request. Defaults to `em`.
   */
  statements?: EntityManager;
}

type TerminationStep = [target: EndTarget, reason: TerminationReason];

/** Ending sessions on request: logout, one session, a user's, a realm's. */
export class TerminationService {
  constructor(private readonly deps: TerminationServiceDeps) {}

  async logout(caller: Caller): Promise<boolean> {
    if (caller.kind !== 'user') throw unauthenticated('logout needs a user login token');
    if (!caller.sessionId) return false; // unmanaged tokens cannot be ended before exp
    await this.terminateWhere(caller, [{ realmId: caller.realmId, sessionId: caller.sessionId }, 'LOGOUT']);
    return true;
  }

  /** One statement (SessionStore.terminateInReach): the access check needs no read of its own. */
  async terminateSession(caller: Caller, id: string): Promise<Session> {
    let reach: SessionReach;
    let reason: TerminationReason;
    if (caller.kind === 'user') {
      // Another user's session is NOT_FOUND, exactly like one that does not exist
      // (docs/concepts.md#callers-and-scopes).
      reach = { realmId: caller.realmId, userId: caller.userId };
      reason = id === caller.sessionId ? 'LOGOUT' : 'TERMINATED_BY_USER';
    } else {
      // Inside the key's realm filter the only question is the scope, whatever session it names:
      // asked first, so the termination below can be one statement.
      if (caller.kind !== 'admin' || !hasScope(caller, 'SESSIONS_TERMINATE')) missingInReach(caller, 'SESSIONS_TERMINATE', 'Session');
      reach = { realmId: realmFilter(caller) ?? null, userId: null };
      reason = 'TERMINATED_BY_ADMIN';
    }
    const by = { actor: actorOf(caller), ip: caller.ip, now: this.deps.clock.now() };
    const result = await new SessionStore(this.deps.statements ?? this.deps.em).terminateInReach(id, reach, reason, by);
    if (!result) throw notFound('Session');
    if (result.ended) this.deps.events.publish([result.ended]);
    return result.session;
  }

  async terminateAllSessions(caller: Caller, userId: string, keepCurrent: boolean): Promise<number> {
    if (caller.kind === 'user') {
      if (userId !== caller.userId) throw notFound('User');
      // The others end TERMINATED_BY_USER; the caller's own, unless kept, ends as a LOGOUT — in one
      // transaction, so the count is exactly what ended.
      const steps: TerminationStep[] = [[{ realmId: caller.realmId, userId, exceptSessionId: caller.sessionId }, 'TERMINATED_BY_USER']];
      if (!keepCurrent && caller.sessionId) steps.push([{ realmId: caller.realmId, sessionId: caller.sessionId }, 'LOGOUT']);
      return this.terminateWhere(caller, ...steps);
    }
    const realmId = realmFilter(caller);
    const user = (await this.deps.em.findOne(User, realmId ? { id: userId, realmId } : { id: userId })) ?? missingInReach(caller, 'SESSIONS_TERMINATE', 'User');
    requireRealmScope(caller, user.realmId, 'SESSIONS_TERMINATE', 'User');
    return this.terminateWhere(caller, [{ realmId: user.realmId, userId }, 'TERMINATED_BY_ADMIN']);
  }

  async terminateRealmSessions(caller: Caller, realmId: string): Promise<number> {
    requireRealmScope(caller, realmId, 'SESSIONS_TERMINATE');
    if (!(await this.deps.em.findOne(Realm, { id: realmId }))) throw notFound('Realm');
    return this.terminateWhere(caller, [{ realmId }, 'TERMINATED_BY_ADMIN']);
  }

  private async terminateWhere(caller: Caller, ...steps: TerminationStep[]): Promise<number> {
    const by = { actor: actorOf(caller), ip: caller.ip, now: this.deps.clock.now() };
    const endAll = async (em: EntityManager) => {
      const store = new SessionStore(em);
      const ended: SessionLifecycleEvent[] = [];
      for (const [target, reason] of steps) ended.push(...(await store.end(target, reason, by)));
      return ended;
    };
    // One step is one statement, atomic without a transaction (and two round trips cheaper).
    const events = steps.length === 1 ? await endAll(this.deps.statements ?? this.deps.em) : await this.deps.em.transactional(endAll);
    this.deps.events.publish(events);
    return events.length;
  }
}

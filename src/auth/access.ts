import type { AdminScope } from '../db/entities/index.js';
import { forbidden, notFound, unauthenticated } from '../errors.js';
import { isWellFormedId } from '../input-rules.js';
import type { AdminCaller, Caller } from './caller.js';

// A MANAGE scope includes its READ scope.
const IMPLIED_BY: Partial<Record<AdminScope, AdminScope>> = {
  REALMS_READ: 'REALMS_MANAGE',
  USERS_READ: 'USERS_MANAGE',
};

export function hasScope(caller: AdminCaller, scope: AdminScope): boolean {
  const implying = IMPLIED_BY[scope];
  return caller.scopes.has(scope) || (implying !== undefined && caller.scopes.has(implying));
}

/** Does this caller reach objects of this realm at all? (Not: may it do a given thing there.) */
export function reachesRealm(caller: Caller, realmId: string): boolean {
  if (caller.kind === 'admin') return caller.realmId === null || caller.realmId === realmId;
  if (caller.kind === 'user') return caller.realmId === realmId;
  return false;
}

/**
 * The gate of every admin operation on a realm. Outside the caller's reach the realm does not
 * exist (NOT_FOUND, so a realm-limited key learns nothing of other realms); inside it, a missing
 * scope is FORBIDDEN.
 */
export function requireRealmScope(caller: Caller, realmId: string, scope: AdminScope, what = 'Realm'): AdminCaller {
  if (caller.kind === 'anonymous') throw unauthenticated();
  if (!isWellFormedId(realmId) || !reachesRealm(caller, realmId)) throw notFound(what);
  if (caller.kind !== 'admin' || !hasScope(caller, scope)) throw forbidden(`Requires the ${scope} scope`);
  return caller;
}

/** For operations that are not tied to one realm (creating one, listing them). */
export function requireGlobalScope(caller: Caller, scope: AdminScope): AdminCaller {
  if (caller.kind === 'anonymous') throw unauthenticated();
  if (caller.kind !== 'admin' || !hasScope(caller, scope)) throw forbidden(`Requires the ${scope} scope`);
  return caller;
}

/**
 * What to answer when an object was not found in the caller's reach. Everyone who could never have
 * seen it gets the same answer as for one that does not exist: anonymous → UNAUTHENTICATED, a key
 * without the scope → FORBIDDEN (it would be refused either way), everyone else → NOT_FOUND.
 */
export function missingInReach(caller: Caller, scope: AdminScope, what: string): never {
  if (caller.kind === 'anonymous') throw unauthenticated();
  if (caller.kind === 'admin' && !hasScope(caller, scope)) throw forbidden(`Requires the ${scope} scope`);
  throw notFound(what);
}

/** The realm filter that keeps a lookup inside the caller's reach (undefined = all realms). */
export function realmFilter(caller: Caller): string | undefined {
  if (caller.kind === 'admin') return caller.realmId ?? undefined;
  if (caller.kind === 'user') return caller.realmId;
  return '(none)'; // anonymous reaches nothing: no id looks like this
}

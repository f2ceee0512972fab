import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { ADMIN_SCOPES, AdminKey, Realm, type AdminScope } from '../db/entities/index.js';
import { newId } from '../db/ids.js';
import { badInput, forbidden, notFound, unauthenticated } from '../errors.js';
import { isWellFormedId } from '../input-rules.js';
import { recordAudit } from '../audit/audit-log.js';
import { systemClock, type Clock } from '../clock.js';
import type { CacheInvalidations } from '../events/cache-invalidations.js';
import { constantTimeEqual, randomSecret, sha256 } from './opaque-tokens.js';
import { actorOf, type AdminCaller, type Caller } from './caller.js';
import { hasScope } from './access.js';
import { AdminKeyStore } from './admin-key-store.js';
import type { LocalOperatorCredential } from './local-operator.js';

export const ADMIN_KEY_PREFIX = 'tsa_';

export interface CreatedAdminKey {
  key: AdminKey;
  /** The plaintext: shown once, never stored. */
  secret: string;
}

export interface CreateAdminKeyInput {
  name: string;
  scopes: readonly string[];
  realmId?: string | null;
}

/**
 * The operator at the command line with the database open (no server running): every scope,
 * every realm — whoever can open the database owns it anyway. Its audit actor is 'admin:cli'.
 */
export function operatorCaller(ip: string | null = null): AdminCaller {
  return { kind: 'admin', keyId: 'cli', name: 'command line', scopes: new Set(ADMIN_SCOPES), realmId: null, ip };
}

/**
 * Admin keys: created, listed and revoked by a caller holding ADMIN_KEYS_MANAGE, never beyond that
 * caller's own power — a key grants only scopes it has itself, and a key limited to a realm sees,
 * creates and revokes only keys limited to that realm. Keys are stored as SHA-256 hashes.
 */
export class AdminKeyService {
  constructor(
    private readonly deps: {
      em: EntityManager;
      clock: Clock;
      invalidations?: CacheInvalidations;
      /** The running server's credential for the CLI beside it (local-operator.ts), if any. */
      localOperator?: LocalOperatorCredential | null;
    },
  ) {}

  async createAdminKey(caller: Caller, input: CreateAdminKeyInput): Promise<CreatedAdminKey> {
    const admin = requireKeyManager(caller);
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (!name || name.length > 100) throw badInput('name', 'name must be 1 to 100 characters');
    const scopes = [...new Set(input.scopes)];
    if (scopes.length === 0) throw badInput('scopes', `give at least one scope: ${ADMIN_SCOPES.join(', ')}`);
    for (const scope of scopes) {
      if (!(ADMIN_SCOPES as readonly string[]).includes(scope)) {
        const upper = scope.toUpperCase();
        const hint = (ADMIN_SCOPES as readonly string[]).includes(upper) ? ` (scopes are upper-case: ${upper})` : `; one of ${ADMIN_SCOPES.join(', ')}`;
        throw badInput('scopes', `unknown scope '${scope}'${hint}`);
      }
      // No escalation: a key cannot hand out what it does not hold.
      if (!hasScope(admin, scope as AdminScope)) throw forbidden(`Cannot grant ${scope}: the creating key does not have it`);
    }
    const realmId = input.realmId ?? null;
    if (admin.realmId !== null) {
      if (realmId === null) throw forbidden(`A key limited to a realm creates only keys limited to that realm (realmId: "${admin.realmId}")`);
      if (realmId !== admin.realmId) throw notFound('Realm');
    }
    const { em, clock } = this.deps;
    if (realmId !== null && (!isWellFormedId(realmId) || !(await em.findOne(Realm, { id: realmId })))) throw notFound('Realm');
    if (await em.findOne(AdminKey, { name, revokedAt: null })) throw nameTaken(name);

    const secret = ADMIN_KEY_PREFIX + randomSecret(32);
    const now = clock.now();
    const key = em.create(AdminKey, {
      id: newId('adm'),
      name,
      keyHash: sha256(secret),
      scopes: ADMIN_SCOPES.filter((scope) => scopes.includes(scope)),
      realmId,
      createdAt: now,
      lastUsedAt: null,
      revokedAt: null,
    });
    recordAudit(em, { realmId, type: 'ADMIN_KEY_CREATED', actor: actorOf(admin), ip: admin.ip, at: now, data: { keyId: key.id, name, scopes: key.scopes } });
    try {
      await em.flush();
    } catch (error) {
      // Two creations with one name at once: the unique index on live names decides.
      if (error instanceof UniqueConstraintViolationException) throw nameTaken(name);
      throw error;
    }
    return { key, secret };
  }

  /** Every key in the caller's reach (revoked ones too), oldest first. */
  listAdminKeys(caller: Caller): Promise<AdminKey[]> {
    const admin = requireKeyManager(caller);
    return this.deps.em.find(AdminKey, admin.realmId === null ? {} : { realmId: admin.realmId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  /**
   * Revoke a key in the caller's reach: true when this call revoked it, false when it already was.
   * Requests with it fail at once on every instance (each request reads the key's row); its open
   * sockets and streams end when the invalidation reaches their instance.
   */
  async revokeAdminKey(caller: Caller, id: string): Promise<boolean> {
    const admin = requireKeyManager(caller);
    const { em, clock } = this.deps;
    const key = isWellFormedId(id) ? await em.findOne(AdminKey, { id }) : null;
    if (!key || (admin.realmId !== null && key.realmId !== admin.realmId)) throw notFound('Admin key');
    if (key.revokedAt) return false;
    const now = clock.now();
    key.revokedAt = now;
    recordAudit(em, {
      realmId: key.realmId ?? null,
      type: 'ADMIN_KEY_REVOKED',
      actor: actorOf(admin),
      ip: admin.ip,
      at: now,
      data: { keyId: key.id, name: key.name },
    });
    await em.flush();
    this.deps.invalidations?.publish([{ kind: 'adminKey', adminKeyId: key.id }]);
    return true;
  }

  /** Bearer value → admin caller, or null when it is not a live admin key. */
  async authenticate(secret: string, ip: string | null): Promise<AdminCaller | null> {
    if (this.deps.localOperator?.matches(secret)) return operatorCaller(ip);
    const hash = sha256(secret);
    const key = await new AdminKeyStore(this.deps.em).findLive(hash, this.deps.clock.now());
    // The lookup is by hash (an index cannot be timed to learn a secret); the compare is belt and braces.
    if (!key || !constantTimeEqual(key.key_hash, hash)) return null;
    return { kind: 'admin', keyId: key.id, name: key.name, scopes: new Set(key.scopes), realmId: key.realm_id, ip };
  }
}

function requireKeyManager(caller: Caller): AdminCaller {
  if (caller.kind === 'anonymous') throw unauthenticated();
  if (caller.kind !== 'admin' || !hasScope(caller, 'ADMIN_KEYS_MANAGE')) throw forbidden('Requires the ADMIN_KEYS_MANAGE scope');
  return caller;
}

function nameTaken(name: string) {
  return badInput('name', `an active admin key is already named "${name}"; choose another name or revoke that key`);
}

/**
 * An admin key made by the operator (tests' seeders use this): every scope when none is given.
 * Goes through the same rules as the API and the CLI.
 */
export function createAdminKey(
  em: EntityManager,
  clock: Clock,
  input: { name: string; scopes?: readonly string[]; realmId?: string | null },
): Promise<CreatedAdminKey> {
  return new AdminKeyService({ em, clock }).createAdminKey(operatorCaller(), {
    name: input.name,
    scopes: input.scopes?.length ? input.scopes : ADMIN_SCOPES,
    realmId: input.realmId ?? null,
  });
}

/** Revoke as the operator (tests, and the CLI's database path go through the service itself). */
export function revokeAdminKey(em: EntityManager, clock: Clock, id: string): Promise<boolean> {
  return new AdminKeyService({ em, clock }).revokeAdminKey(operatorCaller(), id);
}

/** Bearer value → admin caller, or null (the request path goes through Services.adminKeys). */
export function authenticateAdminKey(em: EntityManager, secret: string, ip: string | null, clock: Clock = systemClock): Promise<AdminCaller | null> {
  return new AdminKeyService({ em, clock }).authenticate(secret, ip);
}

/** Make sure the BOOTSTRAP_ADMIN_KEY exists with every scope; `revoked`: it was revoked and stays so. */
export function ensureBootstrapAdminKey(em: EntityManager, clock: Clock, secret: string): Promise<{ revoked: boolean }> {
  return new AdminKeyStore(em).ensureBootstrap({ id: newId('adm'), keyHash: sha256(secret), scopes: ADMIN_SCOPES, now: clock.now() });
}

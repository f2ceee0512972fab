import type { EntityManager } from '@mikro-orm/postgresql';
import { ADMIN_SCOPES, AdminKey, Realm, type AdminScope } from '../db/entities/index.js';
import { newId } from '../db/ids.js';
import { badInput } from '../errors.js';
import type { Clock } from '../clock.js';
import { constantTimeEqual, randomSecret, sha256 } from './opaque-tokens.js';
import type { AdminCaller } from './caller.js';
import { AdminKeyStore } from './admin-key-store.js';

export const ADMIN_KEY_PREFIX = 'tsa_';

export interface CreatedAdminKey {
  key: AdminKey;
  /** The plaintext: shown once, never stored. */
  secret: string;
}

export async function createAdminKey(
  em: EntityManager,
  clock: Clock,
  input: { name: string; scopes?: AdminScope[]; realmId?: string | null; secret?: string },
): Promise<CreatedAdminKey> {
  const name = input.name?.trim();
  if (!name || name.length > 100) throw badInput('name', 'name must be 1 to 100 characters');
  const scopes = input.scopes?.length ? [...new Set(input.scopes)] : [...ADMIN_SCOPES];
  for (const scope of scopes) {
    if (!ADMIN_SCOPES.includes(scope)) throw badInput('scope', `unknown scope ${scope}; one of ${ADMIN_SCOPES.join(', ')}`);
  }
  if (input.realmId && !(await em.findOne(Realm, { id: input.realmId }))) throw badInput('realm', 'no such realm');
  const secret = input.secret ?? ADMIN_KEY_PREFIX + randomSecret(32);
  const key = em.create(AdminKey, {
    id: newId('adm'),
    name,
    keyHash: sha256(secret),
    scopes,
    realmId: input.realmId ?? null,
    createdAt: clock.now(),
    lastUsedAt: null,
    revokedAt: null,
  });
  await em.flush();
  return { key, secret };
}

/**
 * Make sure an all-scopes key with this exact value exists (BOOTSTRAP_ADMIN_KEY). Idempotent, and
 * safe when several instances start at once: the insert yields to a concurrent one (unique hash).
 */
/** Make sure the BOOTSTRAP_ADMIN_KEY exists with every scope; `revoked`: it was revoked and stays so. */
export function ensureBootstrapAdminKey(em: EntityManager, clock: Clock, secret: string): Promise<{ revoked: boolean }> {
  return new AdminKeyStore(em).ensureBootstrap({ id: newId('adm'), keyHash: sha256(secret), scopes: ADMIN_SCOPES, now: clock.now() });
}

export function listAdminKeys(em: EntityManager): Promise<AdminKey[]> {
  return em.find(AdminKey, {}, { orderBy: { createdAt: 'asc' } });
}

export async function revokeAdminKey(em: EntityManager, clock: Clock, id: string): Promise<boolean> {
  const key = await em.findOne(AdminKey, { id, revokedAt: null });
  if (!key) return false;
  key.revokedAt = clock.now();
  await em.flush();
  return true;
}

/** Bearer value → admin caller, or null when it is not a live admin key. */
export async function authenticateAdminKey(em: EntityManager, secret: string, ip: string | null): Promise<AdminCaller | null> {
  const hash = sha256(secret);
  const key = await new AdminKeyStore(em).findLive(hash);
  // The lookup is by hash (an index cannot be timed to learn a secret); the compare is belt and braces.
  if (!key || !constantTimeEqual(key.key_hash, hash)) return null;
  return { kind: 'admin', keyId: key.id, name: key.name, scopes: new Set(key.scopes), realmId: key.realm_id, ip };
}

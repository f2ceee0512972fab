import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Realm, SigningKey } from '../db/entities/index.js';
import { newId } from '../db/ids.js';
import { forbidden, notFound } from '../errors.js';
import type { Clock } from '../clock.js';
import { actorOf, type Caller } from '../auth/caller.js';
import { reachesRealm, requireGlobalScope, requireRealmScope } from '../auth/access.js';
import { paginate, type Connection, type PageArgs } from '../db/pagination.js';
import { recordAudit } from '../audit/audit-log.js';
import type { TokenKeys } from '../token/jwt.js';
import { checkRealmName, defaultsFor, resolveRealmSettings, type RealmSettings, type RealmSettingsInput } from './realm-settings.js';
import { findActiveSigningKey, findRealmSigningKeys, generateSigningKey } from './signing-keys.js';

export interface RealmServiceDeps {
  em: EntityManager;
  clock: Clock;
  keys: TokenKeys;
}

function settingsOf(realm: Realm): RealmSettings {
  return {
    jwtAlgorithm: realm.jwtAlgorithm,
    jwtFields: realm.jwtFields,
    sessionType: realm.sessionType,
    sessionMinutes: realm.sessionMinutes ?? null,
    apiKeyMinutes: realm.apiKeyMinutes ?? null,
    accessTokenSeconds: realm.accessTokenSeconds,
    idleTimeoutSeconds: realm.idleTimeoutSeconds ?? null,
    maxActiveSessions: realm.maxActiveSessions,
  };
}

export class RealmService {
  constructor(private readonly deps: RealmServiceDeps) {}

  /** Load a realm the caller reaches; anything else is NOT_FOUND. Users see their own realm. */
  async getRealm(caller: Caller, id: string): Promise<Realm> {
    if (caller.kind === 'user') {
      if (!reachesRealm(caller, id)) throw notFound('Realm');
    } else {
      requireRealmScope(caller, id, 'REALMS_READ');
    }
    const realm = await this.deps.em.findOne(Realm, { id });
    if (!realm) throw notFound('Realm');
    return realm;
  }

  /** The realm of an object the caller already sees (no access check of its own). */
  realmOf(object: { realmId: string }): Promise<Realm> {
    return this.deps.em.findOneOrFail(Realm, { id: object.realmId });
  }

  async listRealms(caller: Caller, page: PageArgs): Promise<Connection<Realm>> {
    const admin = requireGlobalScope(caller, 'REALMS_READ');
    return paginate(this.deps.em, Realm, admin.realmId ? { id: admin.realmId } : {}, page);
  }

  async createRealm(caller: Caller, input: RealmSettingsInput & { name: string }): Promise<Realm> {
    const admin = requireGlobalScope(caller, 'REALMS_MANAGE');
    // A key limited to one realm cannot make others: it would escape its own limit.
    if (admin.realmId) throw forbidden('A key limited to one realm cannot create realms');
    const name = checkRealmName(input.name);
    const { name: _ignored, ...settingsInput } = input;
    const settings = resolveRealmSettings(defaultsFor(settingsInput), settingsInput);
    const now = this.deps.clock.now();
    const id = newId('rlm');
    const key = await generateSigningKey(id, settings.jwtAlgorithm, now, this.deps.keys.sealer);
    return this.deps.em.transactional(async (em) => {
      const realm = em.create(Realm, { id, name, ...settings, createdAt: now, updatedAt: now });
      em.create(SigningKey, key);
      recordAudit(em, { realmId: id, type: 'REALM_CREATED', actor: actorOf(caller), at: now, data: { name, ...settings } });
      await em.flush();
      return realm;
    });
  }

  async updateRealm(caller: Caller, id: string, input: RealmSettingsInput & { name?: string | null }): Promise<Realm> {
    requireRealmScope(caller, id, 'REALMS_MANAGE');
    const { name: nameInput, ...settingsInput } = input;
    const current = await this.deps.em.findOne(Realm, { id });
    if (!current) throw notFound('Realm');
    const name = nameInput === undefined ? current.name : checkRealmName(nameInput);
    const settings = resolveRealmSettings(settingsOf(current), settingsInput);
    const now = this.deps.clock.now();
    const algorithmChanged = settings.jwtAlgorithm !== current.jwtAlgorithm;
    const newKey = algorithmChanged ? await generateSigningKey(id, settings.jwtAlgorithm, now, this.deps.keys.sealer) : null;

    const realm = await this.deps.em.transactional(async (em) => {
      const realm = await em.findOneOrFail(Realm, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      const before = settingsOf(realm);
      em.assign(realm, { name, ...settings, updatedAt: now });
      if (newKey) {
        await em.nativeUpdate(SigningKey, { realmId: id, retiredAt: null }, { retiredAt: now });
        em.create(SigningKey, newKey);
      }
      recordAudit(em, { realmId: id, type: 'REALM_UPDATED', actor: actorOf(caller), at: now, data: { before, after: settings, name } });
      await em.flush();
      return realm;
    });
    if (newKey) this.deps.keys.forgetActiveKey(id);
    return realm;
  }

  async rotateRealmKey(caller: Caller, id: string): Promise<Realm> {
    requireRealmScope(caller, id, 'REALMS_MANAGE');
    const current = await this.deps.em.findOne(Realm, { id });
    if (!current) throw notFound('Realm');
    const now = this.deps.clock.now();
    const key = await generateSigningKey(id, current.jwtAlgorithm, now, this.deps.keys.sealer);
    const realm = await this.deps.em.transactional(async (em) => {
      const realm = await em.findOneOrFail(Realm, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      // Old keys are retired, not deleted: tokens they signed verify until they expire.
      await em.nativeUpdate(SigningKey, { realmId: id, retiredAt: null }, { retiredAt: now });
      em.create(SigningKey, key);
      realm.updatedAt = now;
      recordAudit(em, { realmId: id, type: 'REALM_KEY_ROTATED', actor: actorOf(caller), at: now, data: { kid: key.id } });
      await em.flush();
      return realm;
    });
    this.deps.keys.forgetActiveKey(id);
    return realm;
  }

  /** The HS256 secret: REALMS_MANAGE only, FORBIDDEN for everyone else. */
  async jwtSecret(caller: Caller, realm: Realm): Promise<string | null> {
    requireRealmScope(caller, realm.id, 'REALMS_MANAGE');
    const key = await findActiveSigningKey(this.deps.em, realm.id);
    return key?.algorithm === 'HS256' && key.secret != null ? this.deps.keys.sealer.open(key.id, key.secret) : null;
  }

  async jwtPublicKey(realm: Realm): Promise<string | null> {
    const key = await findActiveSigningKey(this.deps.em, realm.id);
    return key?.algorithm === 'RS256' ? (key.publicKeyPem ?? null) : null;
  }

  async activeKeyId(realm: Realm): Promise<string | null> {
    return (await findActiveSigningKey(this.deps.em, realm.id))?.id ?? null;
  }

  /** Whether a realm exists (no caller: its issuer's metadata is public, like its JWKS). */
  async exists(realmId: string): Promise<boolean> {
    return (await this.deps.em.count(Realm, { id: realmId })) > 0;
  }

  /** Public key set of a realm (no caller: JWKS is public). Null when the realm does not exist. */
  async jwks(realmId: string): Promise<{ keys: unknown[] } | null> {
    const realm = await this.deps.em.findOne(Realm, { id: realmId });
    if (!realm) return null;
    return { keys: await this.deps.keys.publicJwks(await findRealmSigningKeys(this.deps.em, realmId)) };
  }
}

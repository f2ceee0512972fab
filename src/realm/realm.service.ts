import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AdminKey, Realm, SigningKey } from '../db/entities/index.js';
import { newId } from '../db/ids.js';
import { badInput, forbidden, notFound } from '../errors.js';
import type { Clock } from '../clock.js';
import { actorOf, type Caller } from '../auth/caller.js';
import { reachesRealm, requireGlobalScope, requireRealmScope } from '../auth/access.js';
import { paginate, type Connection, type PageArgs } from '../db/pagination.js';
import { recordAudit } from '../audit/audit-log.js';
import type { TokenKeys } from '../token/jwt.js';
import { checkRealmName, defaultsFor, resolveRealmSettings, type RealmSettings, type RealmSettingsInput } from './realm-settings.js';
import { findActiveSigningKey, findRealmSigningKeys, findVerifyingSigningKeys, generateSigningKey } from './signing-keys.js';
import { ROTATION_GRACE_SECONDS, lifetimesOf, verificationDeadline, widen } from './token-lifetimes.js';
import { SessionStore } from '../session/session-store.js';
import type { SessionEvents, SessionLifecycleEvent } from '../events/session-events.js';
import type { CacheInvalidations } from '../events/cache-invalidations.js';

export interface RealmServiceDeps {
  em: EntityManager;
  clock: Clock;
  keys: TokenKeys;
  events: SessionEvents;
  invalidations: CacheInvalidations;
}

/**
 * Stop the realm's signing keys (the active one) from signing, at `now`: each keeps verifying what
 * it signed until its deadline (docs/security.md#signing-keys).
 */
async function retireSigningKeys(em: EntityManager, realmId: string, now: Date): Promise<void> {
  for (const key of await em.find(SigningKey, { realmId, retiredAt: null })) {
    key.retiredAt = now;
    key.verifiesUntil = verificationDeadline(key.tokenLifetimes, now);
  }
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
    const key = await generateSigningKey(id, settings.jwtAlgorithm, now, this.deps.keys.sealer, lifetimesOf(settings));
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
    const newKey = algorithmChanged ? await generateSigningKey(id, settings.jwtAlgorithm, now, this.deps.keys.sealer, lifetimesOf(settings)) : null;

    const realm = await this.deps.em.transactional(async (em) => {
      const realm = await em.findOneOrFail(Realm, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      const before = settingsOf(realm);
      em.assign(realm, { name, ...settings, updatedAt: now });
      // The signing key may now sign longer-lived (or other kinds of) tokens: it verifies them
      // for as long as the new settings allow. It never narrows — tokens issued under the old
      // settings stay valid — and a key of the new algorithm starts from the new settings.
      for (const key of await em.find(SigningKey, { realmId: id, retiredAt: null })) {
        key.tokenLifetimes = widen(key.tokenLifetimes, lifetimesOf(settings));
      }
      if (newKey) {
        await retireSigningKeys(em, id, now);
        em.create(SigningKey, newKey);
      }
      recordAudit(em, { realmId: id, type: 'REALM_UPDATED', actor: actorOf(caller), at: now, data: { before, after: settings, name } });
      await em.flush();
      return realm;
    });
    this.keysChanged(id);
    return realm;
  }

  /**
   * Delete a realm and everything in it, in one transaction. Every session of the realm ends first
   * (USER_DELETED), with its audit row — its event in the durable record — so that subscribers
   * hear of it on every instance; then the realm's row goes, and its signing keys, users, API
   * keys, orgs, memberships, sessions (their refresh tokens with them), OAuth clients, webhook
   * endpoints (their deliveries with them) and the admin keys limited to it with it: every such
   * table references realm(id) on delete cascade (migrations/). What stays: the audit rows (a log
   * with no foreign keys, kept until their retention) and the login-throttle counters, whose keys
   * are hashes naming no realm one could select by; they lapse with their window.
   *
   * `confirmName` must be the realm's name, so that an id pasted from the wrong tab deletes nothing.
   */
  async deleteRealm(caller: Caller, id: string, confirmName: string): Promise<boolean> {
    requireRealmScope(caller, id, 'REALMS_MANAGE');
    const current = await this.deps.em.findOne(Realm, { id });
    if (!current) throw notFound('Realm');
    if (confirmName !== current.name) throw badInput('confirmName', "confirmName must be the realm's name exactly");
    const now = this.deps.clock.now();
    const by = { actor: actorOf(caller), ip: caller.ip, now };
    const { ended, adminKeyIds } = await this.deps.em.transactional(async (em) => {
      const realm = await em.findOne(Realm, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      // Renamed meanwhile: what was confirmed is no longer this realm's name.
      if (!realm) throw notFound('Realm');
      if (realm.name !== confirmName) throw badInput('confirmName', "confirmName must be the realm's name exactly");
      const ended = await new SessionStore(em).end({ realmId: id }, 'USER_DELETED', by);
      const adminKeyIds = (await em.find(AdminKey, { realmId: id }, { fields: ['id'] })).map((key) => key.id);
      // Recorded under no realm (like admin-key events): the retention pass finds deleted realms'
      // audit rows through it (session/retention.ts).
      recordAudit(em, { realmId: null, type: 'REALM_DELETED', actor: by.actor, ip: caller.ip, at: now, data: { realmId: id, name: realm.name } });
      await em.flush();
      await em.nativeDelete(Realm, { id });
      return { ended, adminKeyIds };
    });
    // Every instance forgets the realm's keys (its tokens no longer verify) and the admin keys that went with it.
    this.deps.invalidations.publish([{ kind: 'realmKeys', realmId: id }, ...adminKeyIds.map((adminKeyId) => ({ kind: 'adminKey' as const, adminKeyId }))]);
    this.deps.events.publish(ended);
    return true;
  }

  async rotateRealmKey(caller: Caller, id: string): Promise<Realm> {
    requireRealmScope(caller, id, 'REALMS_MANAGE');
    const current = await this.deps.em.findOne(Realm, { id });
    if (!current) throw notFound('Realm');
    const now = this.deps.clock.now();
    const key = await generateSigningKey(id, current.jwtAlgorithm, now, this.deps.keys.sealer, lifetimesOf(settingsOf(current)));
    const realm = await this.deps.em.transactional(async (em) => {
      const realm = await em.findOneOrFail(Realm, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      // Old keys stop signing, not verifying: tokens they signed verify until they expire.
      await retireSigningKeys(em, id, now);
      em.create(SigningKey, key);
      realm.updatedAt = now;
      recordAudit(em, { realmId: id, type: 'REALM_KEY_ROTATED', actor: actorOf(caller), at: now, data: { kid: key.id } });
      await em.flush();
      return realm;
    });
    this.keysChanged(id);
    return realm;
  }

  /**
   * Revoke a signing key now (a leak): it verifies nothing from this moment and leaves the JWKS,
   * and the managed sessions whose latest token it signed end (TERMINATED_BY_ADMIN). When it is the
   * key that signs, a new key takes over, as with rotateRealmKey. Already retired: nothing changes.
   */
  async retireRealmKey(caller: Caller, id: string, kid: string): Promise<Realm> {
    requireRealmScope(caller, id, 'REALMS_MANAGE');
    const current = await this.deps.em.findOne(Realm, { id });
    if (!current) throw notFound('Realm');
    const now = this.deps.clock.now();
    const found = await this.deps.em.findOne(SigningKey, { id: kid, realmId: id });
    if (!found) throw badInput('kid', 'the realm has no signing key with this kid');
    if (found.verifiesUntil && found.verifiesUntil <= now) return current;
    const replacement = found.retiredAt
      ? null
      : await generateSigningKey(id, current.jwtAlgorithm, now, this.deps.keys.sealer, lifetimesOf(settingsOf(current)));
    const by = { actor: actorOf(caller), ip: caller.ip, now };
    const { realm, ended } = await this.deps.em.transactional(async (em) => {
      const realm = await em.findOneOrFail(Realm, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      const key = await em.findOneOrFail(SigningKey, { id: kid, realmId: id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      // What it signed last: sessions logged in or refreshed while it signed (and its grace after).
      const signedUntil = key.retiredAt ? new Date(key.retiredAt.getTime() + ROTATION_GRACE_SECONDS * 1000) : null;
      if (replacement) {
        await retireSigningKeys(em, id, now);
        em.create(SigningKey, replacement);
      }
      key.retiredAt ??= now;
      key.verifiesUntil = now;
      realm.updatedAt = now;
      recordAudit(em, { realmId: id, type: 'REALM_KEY_RETIRED', actor: actorOf(caller), at: now, data: { kid, replacedBy: replacement?.id ?? null } });
      await em.flush();
      const target = { realmId: id, lastActiveFrom: key.createdAt, lastActiveUntil: signedUntil };
      const ended: SessionLifecycleEvent[] = await new SessionStore(em).end(target, 'TERMINATED_BY_ADMIN', by);
      return { realm, ended };
    });
    this.keysChanged(id);
    this.deps.events.publish(ended);
    return realm;
  }

  /** Every instance forgets the realm's keys: which signs, and what each may still verify. */
  private keysChanged(realmId: string): void {
    this.deps.invalidations.publish([{ kind: 'realmKeys', realmId }]);
  }

  /** The realm's signing keys, newest first, retired ones too (REALMS_READ). */
  async signingKeys(caller: Caller, realm: Realm): Promise<SigningKey[]> {
    requireRealmScope(caller, realm.id, 'REALMS_READ');
    return findRealmSigningKeys(this.deps.em, realm.id);
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
    return { keys: await this.deps.keys.publicJwks(await findVerifyingSigningKeys(this.deps.em, realmId, this.deps.clock.now())) };
  }
}

import type { EntityManager } from '@mikro-orm/postgresql';
import { Client, Realm } from '../db/entities/index.js';
import { newId } from '../db/ids.js';
import { badInput, notFound } from '../errors.js';
import type { Clock } from '../clock.js';
import type { Caller } from '../auth/caller.js';
import { missingInReach, realmFilter, requireRealmScope } from '../auth/access.js';
import { constantTimeEqual, randomSecret, sha256 } from '../auth/opaque-tokens.js';
import { checkRequiredText, isWellFormedId } from '../input-rules.js';
import { ClientStore } from './client-store.js';
import { ClientAuthThrottle } from '../auth/throttle.js';
import type { ClientCredentialCache } from './client-credential-cache.js';
import { checkTargetUrl, TargetRefused, type TargetRules } from '../delivery/target-address.js';

/** Prefixed so that secret scanners (and people) can tell a leaked client secret for what it is. */
export const CLIENT_SECRET_PREFIX = 'tcs_';
/** Longer than any secret we issue: refused before hashing. */
const MAX_CLIENT_SECRET_LENGTH = 256;
const MAX_URI_LENGTH = 2048;

export interface ClientServiceDeps {
  em: EntityManager;
  clock: Clock;
  /** What a back-channel logout URI may point at: the webhooks' rules (docs/webhooks.md#target-urls). */
  rules: TargetRules;
  /** Verified credentials, kept briefly (null: none kept, every authentication reads the row). */
  credentials?: ClientCredentialCache | null;
}

export interface CreatedClient {
  client: Client;
  /** The plaintext: shown once, never stored. */
  clientSecret: string;
}

export interface AuthenticatedClient {
  id: string;
  realmId: string;
}

export type ClientAuthentication = { ok: true; client: AuthenticatedClient } | { ok: false; retryAfter: number | null };

/** OAuth clients of a realm: registering them (REALMS_MANAGE), and authenticating them. */
export class ClientService {
  constructor(private readonly deps: ClientServiceDeps) {}

  private async findClient(caller: Caller, id: string, scope: 'REALMS_READ' | 'REALMS_MANAGE'): Promise<Client> {
    if (!isWellFormedId(id)) return missingInReach(caller, scope, 'Client');
    const realmId = realmFilter(caller);
    const client = (await this.deps.em.findOne(Client, realmId ? { id, realmId } : { id })) ?? missingInReach(caller, scope, 'Client');
    requireRealmScope(caller, client.realmId, scope, 'Client');
    return client;
  }

  getClient(caller: Caller, id: string): Promise<Client> {
    return this.findClient(caller, id, 'REALMS_READ');
  }

  async listClients(caller: Caller, realmId: string): Promise<Client[]> {
    requireRealmScope(caller, realmId, 'REALMS_READ');
    if (!(await this.deps.em.findOne(Realm, { id: realmId }))) throw notFound('Realm');
    return this.deps.em.find(Client, { realmId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  async createClient(caller: Caller, input: { realmId: string; name: string; backchannelLogoutUri?: string | null }): Promise<CreatedClient> {
    requireRealmScope(caller, input.realmId, 'REALMS_MANAGE');
    if (!(await this.deps.em.findOne(Realm, { id: input.realmId }))) throw notFound('Realm');
    const name = checkRequiredText(input.name, 'name');
    const backchannelLogoutUri = this.checkLogoutUri(input.backchannelLogoutUri);
    const now = this.deps.clock.now();
    const clientSecret = newClientSecret();
    const client = this.deps.em.create(Client, {
      id: newId('cli'),
      realmId: input.realmId,
      name,
      secretHash: sha256(clientSecret),
      backchannelLogoutUri,
      createdAt: now,
      updatedAt: now,
    });
    await this.deps.em.flush();
    return { client, clientSecret };
  }

  async updateClient(caller: Caller, id: string, input: { name?: string | null; backchannelLogoutUri?: string | null }): Promise<Client> {
    const client = await this.findClient(caller, id, 'REALMS_MANAGE');
    // Validate everything before changing anything: a bad field changes nothing.
    const name = input.name !== undefined ? checkRequiredText(input.name, 'name') : client.name;
    const uri = input.backchannelLogoutUri !== undefined ? this.checkLogoutUri(input.backchannelLogoutUri) : client.backchannelLogoutUri;
    client.name = name;
    client.backchannelLogoutUri = uri;
    client.updatedAt = this.deps.clock.now();
    await this.deps.em.flush();
    return client;
  }

  async deleteClient(caller: Caller, id: string): Promise<boolean> {
    const client = await this.findClient(caller, id, 'REALMS_MANAGE');
    await this.deps.em.remove(client).flush();
    this.deps.credentials?.forget(client.id);
    return true;
  }

  /** A new secret; the old one stops working at once. */
  async rotateClientSecret(caller: Caller, id: string): Promise<CreatedClient> {
    const client = await this.findClient(caller, id, 'REALMS_MANAGE');
    const clientSecret = newClientSecret();
    client.secretHash = sha256(clientSecret);
    client.updatedAt = this.deps.clock.now();
    await this.deps.em.flush();
    this.deps.credentials?.forget(client.id);
    return { client, clientSecret };
  }

  /**
   * The client of this realm with this id and secret. Another realm's client is no client here: a
   * relying party of realm A never reaches realm B's tokens. A failure is counted (ClientAuthThrottle)
   * and, once its counters are blocked, says how long to wait.
   */
  async authenticate(realmId: string, clientId: string, secret: string, ip: string | null): Promise<ClientAuthentication> {
    const client = await this.verifySecret(realmId, clientId, secret);
    if (client) return { ok: true, client };
    const retryAfter = await new ClientAuthThrottle(this.deps).recordFailure({ realmId, clientId: clientId.slice(0, 64), ip });
    return { ok: false, retryAfter };
  }

  private async verifySecret(realmId: string, clientId: string, secret: string): Promise<AuthenticatedClient | null> {
    if (!isWellFormedId(clientId) || secret.length === 0 || secret.length > MAX_CLIENT_SECRET_LENGTH) return null;
    const hash = sha256(secret);
    const now = this.deps.clock.now().getTime();
    // The hashes are compared in constant time; the row was found by id, which is not secret.
    const known = this.deps.credentials?.get(realmId, clientId, now);
    if (known && constantTimeEqual(known.secretHash, hash)) return { id: known.id, realmId: known.realmId };
    const row = await new ClientStore(this.deps.em).credentialOf(realmId, clientId);
    if (!row || !constantTimeEqual(row.secret_hash, hash)) return null;
    this.deps.credentials?.remember({ id: row.id, realmId: row.realm_id, secretHash: row.secret_hash }, now);
    return { id: row.id, realmId: row.realm_id };
  }

  /**
   * OpenID Connect Back-Channel Logout 1.0 §2.2: an absolute URL, no fragment; and the rules of
   * webhook targets (https, http outside production; no credentials, which would be logged
   * everywhere; no private, loopback or metadata address). Literal addresses and names only: the
   * name is resolved and checked at every send, and a relying party's host need not resolve yet.
   */
  private checkLogoutUri(value: string | null | undefined): string | null {
    if (value === null || value === undefined || value.trim() === '') return null;
    const field = 'backchannelLogoutUri';
    const raw = value.trim();
    if (raw.length > MAX_URI_LENGTH) throw badInput(field, `${field} must be at most ${MAX_URI_LENGTH} characters`);
    let url: URL;
    try {
      url = checkTargetUrl(raw, this.deps.rules);
    } catch (error) {
      if (error instanceof TargetRefused) throw badInput(field, `${field} refused: ${error.reason}`);
      throw error;
    }
    if (url.hash || raw.includes('#')) throw badInput(field, `${field} must not have a fragment`);
    return url.toString();
  }
}

function newClientSecret(): string {
  return CLIENT_SECRET_PREFIX + randomSecret(32);
}

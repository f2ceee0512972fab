import type { EntityManager } from '@mikro-orm/postgresql';
import { Delivery, Realm, WebhookEndpoint, WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../db/entities/index.js';
import { newId } from '../db/ids.js';
import { badInput, notFound } from '../errors.js';
import type { Clock } from '../clock.js';
import type { Caller } from '../auth/caller.js';
import { missingInReach, realmFilter, requireRealmScope } from '../auth/access.js';
import { checkText, isWellFormedId } from '../input-rules.js';
import { paginate, type Connection, type PageArgs } from '../db/pagination.js';
import { SEALED_PREFIX, type SigningKeySealer } from '../realm/signing-key-sealer.js';
import { WebhookStore } from './webhook-store.js';
import { newWebhookSecret } from '../delivery/webhook-request.js';
import { DeliveryStore } from '../delivery/delivery-store.js';
import { checkTargetUrl, resolveTarget, TargetRefused, type TargetRules } from '../delivery/target-address.js';

const MAX_URL_LENGTH = 2048;
const MAX_DESCRIPTION_LENGTH = 500;
/** After a rotation the old secret signs beside the new one for this long, so receivers can switch. */
export const SECRET_OVERLAP_MS = 24 * 60 * 60 * 1000;

export interface WebhookServiceDeps {
  em: EntityManager;
  clock: Clock;
  sealer: SigningKeySealer;
  rules: TargetRules;
}

export interface CreatedWebhookEndpoint {
  endpoint: WebhookEndpoint;
  /** "whsec_…": shown once; stored sealed. */
  secret: string;
}

/** Webhook endpoints of a realm (REALMS_MANAGE to change them, REALMS_READ to see them) and their deliveries. */
export class WebhookService {
  constructor(private readonly deps: WebhookServiceDeps) {}

  private async findEndpoint(caller: Caller, id: string, scope: 'REALMS_READ' | 'REALMS_MANAGE'): Promise<WebhookEndpoint> {
    if (!isWellFormedId(id)) return missingInReach(caller, scope, 'WebhookEndpoint');
    const realmId = realmFilter(caller);
    const endpoint = (await this.deps.em.findOne(WebhookEndpoint, realmId ? { id, realmId } : { id })) ?? missingInReach(caller, scope, 'WebhookEndpoint');
    requireRealmScope(caller, endpoint.realmId, scope, 'WebhookEndpoint');
    return endpoint;
  }

  getEndpoint(caller: Caller, id: string): Promise<WebhookEndpoint> {
    return this.findEndpoint(caller, id, 'REALMS_READ');
  }

  async listEndpoints(caller: Caller, realmId: string): Promise<WebhookEndpoint[]> {
    requireRealmScope(caller, realmId, 'REALMS_READ');
    if (!(await this.deps.em.findOne(Realm, { id: realmId }))) throw notFound('Realm');
    return this.deps.em.find(WebhookEndpoint, { realmId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  async createEndpoint(
    caller: Caller,
    input: { realmId: string; url: string; eventTypes: readonly WebhookEventType[]; description?: string | null },
  ): Promise<CreatedWebhookEndpoint> {
    requireRealmScope(caller, input.realmId, 'REALMS_MANAGE');
    if (!(await this.deps.em.findOne(Realm, { id: input.realmId }))) throw notFound('Realm');
    const url = await this.checkUrl(input.url);
    const eventTypes = checkEventTypes(input.eventTypes);
    const description = checkText(input.description, 'description', MAX_DESCRIPTION_LENGTH);
    const now = this.deps.clock.now();
    const id = newId('whk');
    const secret = newWebhookSecret();
    const endpoint = this.deps.em.create(WebhookEndpoint, {
      id,
      realmId: input.realmId,
      url,
      description,
      eventTypes,
      enabled: true,
      disabledReason: null,
      secret: this.deps.sealer.seal(id, secret),
      previousSecret: null,
      previousSecretExpiresAt: null,
      failingSince: null,
      createdAt: now,
      updatedAt: now,
    });
    await this.deps.em.flush();
    return { endpoint, secret };
  }

  async updateEndpoint(
    caller: Caller,
    id: string,
    input: { url?: string | null; eventTypes?: readonly WebhookEventType[] | null; description?: string | null; enabled?: boolean | null },
  ): Promise<WebhookEndpoint> {
    const endpoint = await this.findEndpoint(caller, id, 'REALMS_MANAGE');
    // Validate everything before changing anything: a bad field changes nothing.
    const url = input.url !== undefined && input.url !== null ? await this.checkUrl(input.url) : endpoint.url;
    const eventTypes = input.eventTypes !== undefined && input.eventTypes !== null ? checkEventTypes(input.eventTypes) : endpoint.eventTypes;
    const description = input.description !== undefined ? checkText(input.description, 'description', MAX_DESCRIPTION_LENGTH) : endpoint.description;
    endpoint.url = url;
    endpoint.eventTypes = eventTypes;
    endpoint.description = description;
    if (input.enabled !== undefined && input.enabled !== null && input.enabled !== endpoint.enabled) {
      endpoint.enabled = input.enabled;
      // Enabled again by an admin: a fresh start, not a countdown already run out.
      endpoint.disabledReason = null;
      endpoint.failingSince = null;
    }
    endpoint.updatedAt = this.deps.clock.now();
    await this.deps.em.flush();
    return endpoint;
  }

  async deleteEndpoint(caller: Caller, id: string): Promise<boolean> {
    const endpoint = await this.findEndpoint(caller, id, 'REALMS_MANAGE');
    // Its deliveries go with it (on delete cascade).
    await this.deps.em.remove(endpoint).flush();
    return true;
  }

  /** A new secret; the old one keeps signing beside it for SECRET_OVERLAP_MS (two signatures per request). */
  async rotateSecret(caller: Caller, id: string): Promise<CreatedWebhookEndpoint> {
    const endpoint = await this.findEndpoint(caller, id, 'REALMS_MANAGE');
    const now = this.deps.clock.now();
    const secret = newWebhookSecret();
    endpoint.previousSecret = endpoint.secret;
    endpoint.previousSecretExpiresAt = new Date(now.getTime() + SECRET_OVERLAP_MS);
    endpoint.secret = this.deps.sealer.seal(endpoint.id, secret);
    endpoint.updatedAt = now;
    await this.deps.em.flush();
    return { endpoint, secret };
  }

  /** The endpoint's deliveries, newest first. `endpoint` was already found in the caller's reach. */
  deliveries(endpoint: WebhookEndpoint, args: PageArgs): Promise<Connection<Delivery>> {
    return paginate(this.deps.em, Delivery, { endpointId: endpoint.id, realmId: endpoint.realmId }, args);
  }

  /** Make a delivery due again now, whatever its status (one more attempt; same webhook-id). */
  async redeliver(caller: Caller, deliveryId: string): Promise<Delivery> {
    if (!isWellFormedId(deliveryId)) return missingInReach(caller, 'REALMS_MANAGE', 'WebhookDelivery');
    const found = await this.deps.em.findOne(Delivery, {
      id: deliveryId,
      endpointId: { $ne: null },
      ...(realmFilter(caller) ? { realmId: realmFilter(caller) } : {}),
    });
    if (!found) return missingInReach(caller, 'REALMS_MANAGE', 'WebhookDelivery');
    requireRealmScope(caller, found.realmId, 'REALMS_MANAGE', 'WebhookDelivery');
    await new DeliveryStore(this.deps.em).redeliver(found.id, found.realmId, this.deps.clock.now());
    await this.deps.em.refresh(found);
    return found;
  }

  /** Syntax, scheme and the addresses the host resolves to now (they are checked again at every send). */
  private async checkUrl(value: string): Promise<string> {
    const raw = value.trim();
    if (raw.length > MAX_URL_LENGTH) throw badInput('url', `url must be at most ${MAX_URL_LENGTH} characters`);
    try {
      const url = checkTargetUrl(raw, this.deps.rules);
      await resolveTarget(url, this.deps.rules);
      return url.toString();
    } catch (error) {
      if (error instanceof TargetRefused) throw badInput('url', `url refused: ${error.reason}`);
      throw badInput('url', `url cannot be resolved: ${(error as Error).message}`);
    }
  }
}

function checkEventTypes(types: readonly WebhookEventType[]): WebhookEventType[] {
  const unique = [...new Set(types)];
  if (unique.length === 0) throw badInput('eventTypes', 'eventTypes must name at least one event type');
  if (unique.some((type) => !WEBHOOK_EVENT_TYPES.includes(type))) throw badInput('eventTypes', 'eventTypes has an unknown event type');
  return WEBHOOK_EVENT_TYPES.filter((type) => unique.includes(type));
}

/**
 * At start, like sealSigningKeys (src/realm/signing-key-sealer.ts): every webhook secret (and the previous one, while it still signs
 * beside the new) sealed with the current KEY_ENCRYPTION_KEY, so that the old key can leave the
 * list once every instance has started with the new one.
 */
export async function sealWebhookSecrets(em: EntityManager, sealer: SigningKeySealer): Promise<number> {
  return em.transactional(async (tx) => {
    const store = new WebhookStore(tx);
    const prefix = sealer.currentPrefix;
    const rows = prefix ? await store.lockWhereSecret(prefix, false) : await store.lockWhereSecret(SEALED_PREFIX, true);
    for (const row of rows) {
      const reseal = (stored: string) => (sealer.needsResealing(stored) ? sealer.reseal(row.id, stored, 'webhook secrets') : stored);
      await store.writeSecrets(row.id, reseal(row.secret), row.previous_secret === null ? null : reseal(row.previous_secret));
    }
    return rows.length;
  });
}

import { randomBytes } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { TokenKeys } from '../token/jwt.js';
import type { SigningKeySealer } from '../realm/signing-key-sealer.js';
import { EventStore } from '../events/event-store.js';
import { WebhookStore, type EndpointTarget } from '../webhook/webhook-store.js';
import { Client } from '../db/entities/index.js';
import { DeliveryStore, type ClaimedDelivery, type DeliveryResult } from './delivery-store.js';
import { webhookBody, webhookSignature } from './webhook-request.js';
import { safePost } from './safe-post.js';
import { TargetRefused, type TargetRules } from './target-address.js';

/** Delays before the 2nd … 7th attempt; after the 7th fails, the delivery is FAILED (docs/webhooks.md). */
export const RETRY_DELAYS_MS = [5_000, 60_000, 300_000, 1_800_000, 7_200_000, 28_800_000];
/** ±10 %: receivers that came back are not hit by every queued retry in the same second. */
const JITTER = 0.1;
/** A claimed delivery is this instance's for this long; a killed instance's claims go to another after it. */
const LEASE_MS = 60_000;
const MAX_IN_FLIGHT = 128;
const MAX_IN_FLIGHT_PER_TARGET = 32;
/**
 * Claimed deliveries an instance holds (queued or in flight), overall and per target: four rounds
 * of its attempts. A claim costs PostgreSQL about as much for 8 rows as for 128 (it walks the head
 * of the due queue), so claims are made for many at once and sent from memory as slots free up.
 * Four rounds of 10 s timeouts stay inside the 60 s lease, so a held delivery is sent before
 * another instance may claim it.
 */
const MAX_HELD = 4 * MAX_IN_FLIGHT;
const MAX_HELD_PER_TARGET = 4 * MAX_IN_FLIGHT_PER_TARGET;
/** A target claims again once this many of what it may hold are free. */
const REFILL_BATCH = MAX_HELD_PER_TARGET / 2;
const FANOUT_BATCH = 500;
const TIMEOUT_MS = 10_000;
/** Attempt results are written together, at most this long after the first of them finished … */
const RECORD_DELAY_MS = 20;
/** … or at once when this many are waiting. */
const RECORD_BATCH = 128;
/** A logout token lives 2 minutes at most (docs/oauth.md#back-channel-logout); it is signed afresh at every attempt. */
const LOGOUT_TOKEN_SECONDS = 120;
const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

export interface DeliveryMetrics {
  deliveries(labels: { target: 'webhook' | 'backchannel'; outcome: 'succeeded' | 'retry' | 'failed' }): void;
  attemptSeconds(seconds: number): void;
  queue: { depth: number; oldestSeconds: number };
}

export interface DeliveryWorkerDeps {
  orm: MikroORM;
  clock: Clock;
  logger: Logger;
  keys: TokenKeys;
  sealer: SigningKeySealer;
  rules: TargetRules;
  pollSeconds: number;
  metrics?: DeliveryMetrics;
  /** Tests shorten it; docs/webhooks.md promises 10 s. */
  timeoutMs?: number;
}

/** What this instance holds for one receiver: claimed deliveries waiting for a slot, and attempts running. */
interface TargetQueue {
  waiting: Held[];
  inFlight: number;
}

interface Held {
  delivery: ClaimedDelivery;
  /** Its lease ends then; one that could no longer finish within it is left for the next claim. */
  leaseUntil: number;
  /** The webhook endpoint, or the client's back-channel logout URI, as read when it was claimed. */
  endpoint?: EndpointTarget;
  logoutUri?: string | null;
}

/**
 * The outbound side of the event record (docs/webhooks.md): every instance runs one.
 *
 * Each poll (WEBHOOK_POLL_SECONDS) (a) fans new events of the record out into `delivery` rows —
 * one instance at a time, under an advisory lock, moving the fan-out cursor in the same
 * transaction — and (b) claims due deliveries in batches (`for update skip locked`, with a lease)
 * and sends them, at most MAX_IN_FLIGHT at once and MAX_IN_FLIGHT_PER_TARGET per target, so a slow
 * receiver slows only its own deliveries and never a request. Results are written in batches.
 */
export class DeliveryWorker {
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly targets = new Map<string, TargetQueue>();
  /** Claimed deliveries waiting or in flight, over all targets. */
  private held = 0;
  private results: DeliveryResult[] = [];
  private health = { succeeded: new Set<string>(), failed: new Set<string>() };
  private flushing: Promise<void> | null = null;
  /** Ends the wait before the next write (enough results are waiting). */
  private recordNow: (() => void) | null = null;
  private claiming: Promise<void> | null = null;
  private claimAgain = false;
  private stopped = false;
  private starting: Promise<unknown> | null = null;

  constructor(private readonly deps: DeliveryWorkerDeps) {}

  private em() {
    return this.deps.orm.em.fork();
  }

  start(): void {
    if (this.timer) return;
    this.stopped = false;
    // The fan-out's first instance starts it at the record's head now, not at its first poll:
    // events recorded meanwhile are delivered.
    this.starting = this.startFanout().catch((error: unknown) =>
      this.deps.logger.warn('webhook fan-out could not start; the next poll tries again', { error: String(error) }),
    );
    this.timer = setInterval(() => void this.poll(), this.deps.pollSeconds * 1000);
    this.timer.unref();
  }

  /** Stop polling; attempts in flight finish and are recorded (each is bounded by its timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.polling;
    await this.claiming;
    await Promise.allSettled([...this.inFlight]);
    // What was claimed and not started goes back to the queue now, for another instance (or the
    // next start) to claim, instead of waiting for its lease to run out.
    const waiting = this.dropWaiting();
    await this.flush();
    if (waiting.length > 0) {
      await new DeliveryStore(this.em())
        .release(waiting)
        .catch((error: unknown) => this.deps.logger.warn('releasing held webhook deliveries failed; their leases run out', { error: String(error) }));
    }
  }

  /** One poll (the timer's); runs one at a time. */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => (this.polling = null));
    return this.polling;
  }

  /** Polls until nothing is due, every attempt finished and recorded (tests: instead of waiting). */
  async drain(): Promise<void> {
    for (let round = 0; round < 1000; round++) {
      await this.poll();
      // A refill started by a finished attempt may hold claims not yet in flight.
      while (this.claiming) await this.claiming;
      const busy = this.held > 0;
      while (this.held > 0 && this.inFlight.size > 0) await Promise.race([...this.inFlight]);
      await this.flush();
      if (!busy) return;
    }
  }

  private async startFanout(): Promise<void> {
    const em = this.em();
    const store = new DeliveryStore(em);
    if ((await store.fanoutCursor()) === null) await store.startFanout(await new EventStore(em).head());
  }

  private async pollOnce(): Promise<void> {
    await this.starting;
    try {
      await this.fanOut();
    } catch (error) {
      this.deps.logger.warn('webhook fan-out failed; will retry', { error: String(error) });
    }
    await this.claim();
    await this.updateQueueStats();
  }

  /**
   * claimAndSend, one at a time (two at once would both count the same free slots); asked again
   * while it runs, it runs once more after.
   */
  private claim(): Promise<void> {
    if (this.claiming) {
      this.claimAgain = true;
      return this.claiming;
    }
    this.claiming = (async () => {
      do {
        this.claimAgain = false;
        try {
          await this.claimAndSend();
        } catch (error) {
          this.deps.logger.warn('claiming webhook deliveries failed; will retry', { error: String(error) });
          return;
        }
      } while (this.claimAgain && !this.stopped);
    })().finally(() => (this.claiming = null));
    return this.claiming;
  }

  /**
   * New events of the record → deliveries. Nothing is written (no transaction id taken) when there
   * is nothing new: an open transaction with an id holds back every instance's view of the record.
   */
  private async fanOut(): Promise<void> {
    const now = this.deps.clock.now();
    for (;;) {
      const em = this.em();
      const store = new DeliveryStore(em);
      const cursor = await store.fanoutCursor();
      if (cursor === null) return this.startFanout();
      const peek = await new EventStore(em).readAfter(cursor, { limit: 1 });
      if (peek.length === 0) return;
      const leaseUntil = new Date(now.getTime() + LEASE_MS);
      const made = await em.transactional(async (tx) => {
        const txStore = new DeliveryStore(tx);
        if (!(await txStore.lockFanout())) return null;
        const from = await txStore.fanoutCursor();
        const events = await new EventStore(tx).readAfter(from, { limit: FANOUT_BATCH });
        if (events.length === 0) return null;
        const lease = { until: leaseUntil, limit: this.stopped ? 0 : MAX_HELD - this.held, perTarget: MAX_HELD_PER_TARGET, rooms: this.targetRooms() };
        return { leased: await txStore.fanOut(events, events[events.length - 1].cursor, now, lease), more: events.length === FANOUT_BATCH };
      });
      if (!made) return;
      // Ours since the commit: sent without a claim.
      if (made.leased.length > 0) await this.hold(made.leased, leaseUntil.getTime());
      if (!made.more) return;
    }
  }

  /** How many more deliveries this instance may hold per target it holds some for. */
  private targetRooms(): Record<string, number> {
    const rooms: Record<string, number> = {};
    for (const [target, queue] of this.targets) rooms[target] = Math.max(0, MAX_HELD_PER_TARGET - queue.waiting.length - queue.inFlight);
    return rooms;
  }

  private async claimAndSend(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const room = MAX_HELD - this.held;
      if (room < REFILL_BATCH && this.held > 0) return;
      const now = this.deps.clock.now();
      const leaseUntil = new Date(now.getTime() + LEASE_MS);
      const claimed = await new DeliveryStore(this.em()).claimDue(now, leaseUntil, room, MAX_HELD_PER_TARGET, this.targetRooms());
      if (claimed.length === 0) return;
      await this.hold(claimed, leaseUntil.getTime());
      if (claimed.length < room) return;
    }
  }

  /** Queues `claimed` per target (their targets read once) and starts what the slots allow. */
  private async hold(claimed: ClaimedDelivery[], leaseUntil: number): Promise<void> {
    const em = this.em();
    const endpointIds = [...new Set(claimed.flatMap((d) => (d.endpoint_id ? [d.endpoint_id] : [])))];
    const clientIds = [...new Set(claimed.flatMap((d) => (d.client_id ? [d.client_id] : [])))];
    const endpoints = new Map((await new WebhookStore(em).targets(endpointIds)).map((e) => [e.id, e]));
    const clients = new Map(
      clientIds.length === 0 ? [] : (await em.find(Client, { id: { $in: clientIds } })).map((c) => [c.id, c.backchannelLogoutUri] as const),
    );
    for (const delivery of claimed) {
      const target = delivery.endpoint_id ?? delivery.client_id ?? '';
      let queue = this.targets.get(target);
      if (!queue) this.targets.set(target, (queue = { waiting: [], inFlight: 0 }));
      const endpoint = delivery.endpoint_id ? endpoints.get(delivery.endpoint_id) : undefined;
      queue.waiting.push({ delivery, leaseUntil, endpoint, logoutUri: delivery.client_id ? clients.get(delivery.client_id) : undefined });
      this.held++;
    }
    this.startAttempts();
  }

  /** Starts waiting deliveries while slots are free, overall and per target, targets taking turns. */
  private startAttempts(): void {
    let started = true;
    while (started && this.inFlight.size < MAX_IN_FLIGHT && !this.stopped) {
      started = false;
      for (const [target, queue] of this.targets) {
        if (this.inFlight.size >= MAX_IN_FLIGHT) break;
        if (queue.inFlight >= MAX_IN_FLIGHT_PER_TARGET) continue;
        const next = queue.waiting.shift();
        if (!next) continue;
        started = true;
        if (this.deps.clock.now().getTime() + (this.deps.timeoutMs ?? TIMEOUT_MS) > next.leaseUntil) {
          // Too late to finish inside its lease: another claim (maybe another instance's) makes it.
          this.release(target, queue);
          continue;
        }
        queue.inFlight++;
        const running = this.attempt(next).finally(() => {
          this.inFlight.delete(running);
          queue.inFlight--;
          this.release(target, queue);
          if (this.stopped) return;
          this.startAttempts();
          // A batch of this target's done: claim the next (only a claim: the fan-out and the gauges
          // keep to the ticks). Claims are for any target: others are picked up with it.
          if (MAX_HELD_PER_TARGET - queue.waiting.length - queue.inFlight >= REFILL_BATCH) void this.claim();
        });
        this.inFlight.add(running);
      }
    }
  }

  private release(target: string, queue: TargetQueue): void {
    this.held--;
    if (queue.waiting.length === 0 && queue.inFlight === 0) this.targets.delete(target);
  }

  /** Forgets what waits for a slot; returns the ids. */
  private dropWaiting(): string[] {
    const ids: string[] = [];
    for (const [target, queue] of this.targets) {
      for (const held of queue.waiting) ids.push(held.delivery.id);
      this.held -= queue.waiting.length;
      queue.waiting = [];
      if (queue.inFlight === 0) this.targets.delete(target);
    }
    return ids;
  }

  private async attempt({ delivery, endpoint, logoutUri }: Held): Promise<void> {
    const kind = delivery.endpoint_id ? 'webhook' : 'backchannel';
    const started = performance.now();
    let status: number | null = null;
    let error: string | null = null;
    try {
      const request = kind === 'webhook' ? this.webhookRequest(delivery, endpoint) : await this.logoutRequest(delivery, logoutUri);
      if (typeof request === 'string') error = request;
      else {
        const answer = await safePost(request.url, {
          headers: request.headers,
          body: request.body,
          timeoutMs: this.deps.timeoutMs ?? TIMEOUT_MS,
          rules: this.deps.rules,
        });
        status = answer.status;
        if (status < 200 || status > 299) error = `HTTP ${status}`;
      }
    } catch (thrown) {
      error = thrown instanceof TargetRefused ? `refused: ${thrown.reason}` : thrown instanceof Error ? thrown.message : String(thrown);
    }
    this.deps.metrics?.attemptSeconds((performance.now() - started) / 1000);
    this.settle(delivery, kind, status, error);
  }

  private webhookRequest(
    delivery: ClaimedDelivery,
    endpoint: EndpointTarget | undefined,
  ): { url: string; headers: Record<string, string>; body: string } | string {
    if (!endpoint) return 'endpoint deleted';
    const now = this.deps.clock.now();
    const secrets = [this.deps.sealer.open(endpoint.id, endpoint.secret)];
    if (endpoint.previous_secret && endpoint.previous_secret_expires_at && new Date(endpoint.previous_secret_expires_at) > now) {
      secrets.push(this.deps.sealer.open(endpoint.id, endpoint.previous_secret));
    }
    const body = webhookBody(delivery.event_type, delivery.payload);
    const timestamp = Math.floor(now.getTime() / 1000);
    return {
      url: endpoint.url,
      body,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Tessera-Webhooks/1',
        'webhook-id': delivery.event_id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': webhookSignature(secrets, delivery.event_id, timestamp, body),
      },
    };
  }

  /** OpenID Connect Back-Channel Logout 1.0 §2.4: a fresh logout token at every attempt. */
  private async logoutRequest(
    delivery: ClaimedDelivery,
    uri: string | null | undefined,
  ): Promise<{ url: string; headers: Record<string, string>; body: string } | string> {
    if (!uri) return 'the client has no backchannelLogoutUri';
    const iat = Math.floor(this.deps.clock.now().getTime() / 1000);
    const token = await this.deps.keys.signLogoutToken(delivery.realm_id, {
      aud: delivery.client_id!,
      sub: delivery.payload.userId,
      sid: delivery.payload.sessionId,
      jti: randomBytes(16).toString('base64url'),
      iat,
      exp: iat + LOGOUT_TOKEN_SECONDS,
      events: { [BACKCHANNEL_EVENT]: {} },
    });
    return {
      url: uri,
      body: `logout_token=${encodeURIComponent(token)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Tessera-Backchannel-Logout/1', 'cache-control': 'no-store' },
    };
  }

  private settle(delivery: ClaimedDelivery, kind: 'webhook' | 'backchannel', status: number | null, error: string | null): void {
    const now = this.deps.clock.now();
    const attempts = delivery.attempts + 1;
    let result: DeliveryResult;
    if (error === null) {
      result = { id: delivery.id, status: 'SUCCEEDED', nextAttemptAt: null, responseStatus: status, error: null, deliveredAt: now };
    } else if (attempts > RETRY_DELAYS_MS.length) {
      result = { id: delivery.id, status: 'FAILED', nextAttemptAt: null, responseStatus: status, error: error.slice(0, 500), deliveredAt: null };
    } else {
      const delay = RETRY_DELAYS_MS[attempts - 1] * (1 - JITTER + Math.random() * 2 * JITTER);
      result = {
        id: delivery.id,
        status: 'PENDING',
        nextAttemptAt: new Date(now.getTime() + delay),
        responseStatus: status,
        error: error.slice(0, 500),
        deliveredAt: null,
      };
    }
    this.deps.metrics?.deliveries({ target: kind, outcome: result.status === 'SUCCEEDED' ? 'succeeded' : result.status === 'FAILED' ? 'failed' : 'retry' });
    this.results.push(result);
    if (delivery.endpoint_id) (error === null ? this.health.succeeded : this.health.failed).add(delivery.endpoint_id);
    void this.flushSoon();
  }

  /** Results are written together: one statement for every attempt that finished meanwhile. */
  private flushSoon(): Promise<void> {
    if (this.results.length >= RECORD_BATCH) this.recordNow?.();
    this.flushing ??= new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.recordNow = null;
        resolve();
      };
      const timer = setTimeout(done, this.results.length >= RECORD_BATCH ? 0 : RECORD_DELAY_MS);
      this.recordNow = done;
    })
      .then(() => this.write())
      .finally(() => {
        this.flushing = null;
        if (this.results.length > 0) void this.flushSoon();
      });
    return this.flushing;
  }

  private async flush(): Promise<void> {
    while (this.flushing || this.results.length > 0) await (this.flushing ?? this.flushSoon());
  }

  private async write(): Promise<void> {
    const results = this.results;
    const health = this.health;
    this.results = [];
    this.health = { succeeded: new Set(), failed: new Set() };
    if (results.length === 0) return;
    const failed = [...health.failed].filter((id) => !health.succeeded.has(id));
    try {
      const disabled = await this.em().transactional(async (tx) => {
        await new DeliveryStore(tx).record(results);
        return new WebhookStore(tx).recordHealth([...health.succeeded], failed, this.deps.clock.now());
      });
      for (const id of disabled) this.deps.logger.warn('webhook endpoint disabled: every delivery failed for 3 days', { endpointId: id });
    } catch (error) {
      // The leases run out and the attempts are made again: at least once, never lost.
      this.deps.logger.warn('recording webhook attempts failed; they will be retried', { error: String(error), count: results.length });
    }
  }

  private async updateQueueStats(): Promise<void> {
    const metrics = this.deps.metrics;
    if (!metrics) return;
    try {
      const { depth, oldest } = await new DeliveryStore(this.em()).queueStats();
      metrics.queue.depth = depth;
      metrics.queue.oldestSeconds = oldest ? Math.max(0, (this.deps.clock.now().getTime() - oldest.getTime()) / 1000) : 0;
    } catch {
      // The gauges keep their last values; the next poll tries again.
    }
  }
}

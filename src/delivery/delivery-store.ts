import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, sqlRows, runSql } from '../db/sql.js';
import type { RecordedEvent } from '../events/event-store.js';
import type { DeliveryPayload, DeliveryStatus, WebhookEventType } from '../db/entities/index.js';
import type { StoredFunction } from '../db/stored-functions.js';

/** Any fixed 64-bit number: the advisory lock of the fan-out (one instance at a time moves the cursor). */
const FANOUT_LOCK_ID = 7_461_829_351;
const FANOUT_ROW = 'record';
/** How far into the due queue a claim looks, per delivery it may claim (claimDue). */
const CANDIDATES_PER_CLAIM = 4;

const EVENT_TYPE: Record<RecordedEvent['type'], WebhookEventType> = {
  CREATED: 'SESSION_CREATED',
  REFRESHED: 'SESSION_REFRESHED',
  TERMINATED: 'SESSION_TERMINATED',
};

export interface ClaimedDelivery {
  id: string;
  realm_id: string;
  endpoint_id: string | null;
  client_id: string | null;
  event_id: string;
  event_type: WebhookEventType;
  payload: DeliveryPayload;
  /** Attempts made before this one. */
  attempts: number;
}

export interface DeliveryResult {
  id: string;
  status: DeliveryStatus;
  nextAttemptAt: Date | null;
  responseStatus: number | null;
  error: string | null;
  deliveredAt: Date | null;
}

/** The one writer of `delivery` and `delivery_fanout`: the queue of outbound attempts (docs/webhooks.md). */
export class DeliveryStore {
  constructor(private readonly em: EntityManager) {}

  /** Where the fan-out has got in the event record; null before its first pass. */
  async fanoutCursor(): Promise<string | null> {
    const [row] = await sqlRows<{ cursor: string }>(this.em, sql`select cursor from delivery_fanout where id = ${FANOUT_ROW}`);
    return row?.cursor ?? null;
  }

  /** The first pass starts at the record's head: events from before webhooks existed go nowhere. */
  async startFanout(head: string): Promise<void> {
    await runSql(this.em, sql`insert into delivery_fanout (id, cursor) values (${FANOUT_ROW}, ${head}) on conflict (id) do nothing`);
  }

  /** Inside a transaction: whether this instance now holds the fan-out (until the transaction ends). */
  async lockFanout(): Promise<boolean> {
    const [row] = await sqlRows<{ locked: boolean }>(this.em, sql`select pg_try_advisory_xact_lock(${FANOUT_LOCK_ID}) as locked`);
    return row.locked;
  }

  /**
   * One delivery per event and enabled endpoint of its realm subscribed to its type, and per
   * termination and client of its realm with a back-channel logout URI; then the cursor moves past
   * them. Run in the transaction holding lockFanout. The first of them, up to `lease.limit` and
   * per target up to its room (as claimDue counts it), are made already leased to the caller
   * until `lease.until`, and returned: the instance that fans out sends them without claiming them
   * first (a claim is a statement and a row update per delivery more). The rest wait for claims.
   */
  async fanOut(
    events: RecordedEvent[],
    cursor: string,
    now: Date,
    lease: { until: Date; limit: number; perTarget: number; rooms: Record<string, number> },
  ): Promise<ClaimedDelivery[]> {
    const rows = JSON.stringify(
      events.map((event, seq) => ({
        id: event.id,
        seq,
        realm_id: event.realmId,
        type: EVENT_TYPE[event.type],
        payload: { sessionId: event.sessionId, userId: event.userId, realmId: event.realmId, reason: event.reason, at: event.at.toISOString() },
      })),
    );
    const leased = await sqlRows<ClaimedDelivery & { lease_until: Date | null }>(
      this.em,
      // `for key share`: an endpoint or client deleted meanwhile (its delete not yet committed when
      // this statement began) is waited for and then skipped, instead of failing the foreign key
      // check after the wait and with it the whole batch. A disable/enable or any other update
      // does not conflict with it (test/webhooks-fanout.test.ts).
      sql`with e as (select * from jsonb_to_recordset(${rows}::jsonb) as e(id text, seq int, realm_id text, type text, payload jsonb))
          , hooks as (
            select e.id as event_id, e.seq, e.realm_id, e.type, e.payload, w.id as endpoint_id, null::text as client_id
              from e join webhook_endpoint w on w.realm_id = e.realm_id and w.enabled and e.type = any(w.event_types)
               for key share of w
          ), logouts as (
            select e.id as event_id, e.seq, e.realm_id, e.type, e.payload, null::text as endpoint_id, c.id as client_id
              from e join oauth_client c on c.realm_id = e.realm_id and c.backchannel_logout_uri is not null
             where e.type = 'SESSION_TERMINATED'
               for key share of c
          ), made as (
            select m.*,
                   row_number() over (partition by coalesce(m.endpoint_id, m.client_id) order by m.seq)
                     <= coalesce((${JSON.stringify(lease.rooms)}::jsonb ->> coalesce(m.endpoint_id, m.client_id))::int, ${lease.perTarget}) as within_room
              from (select * from hooks union all select * from logouts) m
          ), numbered as (
            select m.*, count(*) filter (where m.within_room) over (order by m.seq, m.endpoint_id, m.client_id rows unbounded preceding) as rank
              from made m
          )
          insert into delivery (id, realm_id, endpoint_id, client_id, event_id, event_type, payload, status, attempts, next_attempt_at, lease_until, created_at)
          select 'dlv_' || replace(gen_random_uuid()::text, '-', ''), n.realm_id, n.endpoint_id, n.client_id, n.event_id, n.type, n.payload, 'PENDING', 0,
                 ${now}::timestamptz, case when n.within_room and n.rank <= ${lease.limit} then ${lease.until}::timestamptz end, ${now}::timestamptz
            from numbered n
          on conflict do nothing
          returning id, realm_id, endpoint_id, client_id, event_id, event_type, payload, attempts, lease_until`,
    );
    await runSql(this.em, sql`update delivery_fanout set cursor = ${cursor} where id = ${FANOUT_ROW}`);
    return leased.filter((d) => d.lease_until !== null);
  }

  /**
   * Due deliveries, leased to this instance until `leaseUntil` (an instance that dies holding them
   * loses them when it runs out). At most `limit`, and per target at most what `room` says
   * (default `perTarget`): a dead receiver holds up only its own share. Deliveries of disabled
   * endpoints wait, and resume if the endpoint is enabled again.
   *
   * Only the head of the due queue is looked at (delivery_due_idx, in due order, at most
   * CANDIDATES_PER_CLAIM × limit rows), skipping targets with no room left, so a claim costs the
   * same with 10 or 100,000 deliveries waiting; the per-target ranking is done on that head only.
   */
  async claimDue(now: Date, leaseUntil: Date, limit: number, perTarget: number, room: Record<string, number>): Promise<ClaimedDelivery[]> {
    // tessera_claim_deliveries (below): planned to walk delivery_due_idx in order whatever the
    // statistics say.
    return sqlRows<ClaimedDelivery>(
      this.em,
      sql`select id, realm_id, endpoint_id, client_id, event_id, event_type, payload, attempts
            from tessera_claim_deliveries(${now}, ${leaseUntil}, ${limit}, ${perTarget}, ${JSON.stringify(room)}::jsonb, ${limit * CANDIDATES_PER_CLAIM})`,
    );
  }

  /** Claimed deliveries given back unattempted (a stopping instance's): due again at once, for anyone. */
  async release(ids: string[]): Promise<void> {
    await runSql(this.em, sql`update delivery set lease_until = null where id = any(${ids}::text[]) and status = 'PENDING'`);
  }

  /** The outcome of attempts, in one statement; the lease ends. */
  async record(results: DeliveryResult[]): Promise<void> {
    if (results.length === 0) return;
    const rows = JSON.stringify(
      results.map((r) => ({
        id: r.id,
        status: r.status,
        next_attempt_at: r.nextAttemptAt?.toISOString() ?? null,
        response_status: r.responseStatus,
        error: r.error,
        delivered_at: r.deliveredAt?.toISOString() ?? null,
      })),
    );
    await runSql(
      this.em,
      sql`update delivery d
             set status = r.status, attempts = d.attempts + 1, next_attempt_at = r.next_attempt_at, lease_until = null,
                 last_response_status = r.response_status, last_error = r.error, delivered_at = coalesce(r.delivered_at, d.delivered_at)
            from jsonb_to_recordset(${rows}::jsonb) as r(id text, status text, next_attempt_at timestamptz, response_status int, error text, delivered_at timestamptz)
           where d.id = r.id`,
    );
  }

  /** A delivery of the realm's endpoints made due again now (redeliverWebhook); null if none such. */
  async redeliver(id: string, realmId: string | undefined, now: Date): Promise<string | null> {
    const realm = realmId === undefined ? sql`true` : sql`realm_id = ${realmId}`;
    const [row] = await sqlRows<{ id: string }>(
      this.em,
      sql`update delivery set status = 'PENDING', next_attempt_at = ${now}, lease_until = null
           where id = ${id} and endpoint_id is not null and ${realm}
          returning id`,
    );
    return row?.id ?? null;
  }

  /** How many deliveries wait, and since when the oldest has (metrics). */
  async queueStats(): Promise<{ depth: number; oldest: Date | null }> {
    const [row] = await sqlRows<{ depth: string; oldest: Date | null }>(
      this.em,
      sql`select count(*)::text as depth, min(created_at) as oldest from delivery where status = 'PENDING'`,
    );
    return { depth: Number(row.depth), oldest: row.oldest ? new Date(row.oldest) : null };
  }

  /** Delete up to `limit` finished deliveries made before `before` (retention); returns how many. */
  async pruneFinished(before: Date, limit: number): Promise<number> {
    const { rowCount } = await runSql(
      this.em,
      sql`delete from delivery where id in (select id from delivery where status <> 'PENDING' and created_at < ${before} limit ${limit})`,
    );
    return rowCount;
  }
}

/**
 * The claim of DeliveryStore.claimDue: the head of the due queue in due order (at most
 * p_candidates rows, skipping leased rows, targets without room and disabled endpoints), at most
 * the room of each target of it and p_limit in all, locked with skip locked and leased. Two steps
 * with the ids in between, and bitmap and sequential scans off, so that both are walks of an index
 * whatever the statistics say: with those of a queue that grew from empty in seconds, the one
 * statement this was planned the claim as a nested loop over every due row (166 ms a claim of 128
 * with 5,000 queued; migration …_claim_in_due_order).
 */
const claimDeliveries: StoredFunction = {
  signature: 'tessera_claim_deliveries(timestamptz, timestamptz, integer, integer, jsonb, integer)',
  definition: sql`
    create or replace function tessera_claim_deliveries(p_now timestamptz, p_lease_until timestamptz, p_limit integer, p_per_target integer, p_rooms jsonb, p_candidates integer)
    returns setof delivery language plpgsql volatile
    set enable_bitmapscan = off set enable_seqscan = off as $$
    declare
      picked text[];
    begin
      select array_agg(ranked.id) into picked from (
        select head.id, head.next_attempt_at,
               row_number() over (partition by head.target order by head.next_attempt_at, head.id) as rank,
               coalesce((p_rooms ->> head.target)::int, p_per_target) as room
          from (
            select d.id, d.next_attempt_at, coalesce(d.endpoint_id, d.client_id) as target
              from delivery d
             where d.status = 'PENDING' and d.next_attempt_at <= p_now and (d.lease_until is null or d.lease_until <= p_now)
               and coalesce((p_rooms ->> coalesce(d.endpoint_id, d.client_id))::int, p_per_target) > 0
               and (d.endpoint_id is null or exists (select 1 from webhook_endpoint w where w.id = d.endpoint_id and w.enabled))
             order by d.next_attempt_at
             limit p_candidates
          ) head
         order by head.next_attempt_at, head.id
      ) ranked
       where ranked.rank <= ranked.room
       limit p_limit;
      return query
        update delivery d set lease_until = p_lease_until
         where d.id in (
           select l.id from delivery l
            where l.id = any(picked) and l.status = 'PENDING' and (l.lease_until is null or l.lease_until <= p_now)
              for update skip locked)
        returning d.*;
    end;
    $$`,
};

export const DELIVERY_FUNCTIONS: StoredFunction[] = [claimDeliveries];

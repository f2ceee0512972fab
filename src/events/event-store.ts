import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, sqlRows } from '../db/sql.js';
import { badInput } from '../errors.js';
import type { TerminationReason } from '../db/entities/index.js';

/** One session lifecycle event as the durable record holds it (docs/events.md). */
export interface RecordedEvent {
  /** The audit row's id: the same event always has the same id. */
  id: string;
  /** Opaque; later events have greater cursors (within a realm, and across realms). */
  cursor: string;
  realmId: string;
  type: 'CREATED' | 'REFRESHED' | 'TERMINATED';
  sessionId: string;
  userId: string;
  reason: TerminationReason | null;
  at: Date;
}

const TYPE_OF: Record<string, RecordedEvent['type']> = {
  LOGIN_SUCCEEDED: 'CREATED',
  SESSION_REFRESHED: 'REFRESHED',
  SESSION_TERMINATED: 'TERMINATED',
};

/** The predicate of the record's partial indexes (Migration20261203000000_event_record_order). */
const SESSION_EVENT = sql`a.type in ('LOGIN_SUCCEEDED', 'SESSION_REFRESHED', 'SESSION_TERMINATED') and a.session_id is not null`;

interface Position {
  xid: string;
  seq: string;
}

/**
 * 'e', then xid and seq as 16 hex digits each: fixed width, so that a later event's cursor is also
 * the greater string (clients may compare them), and opaque enough that nobody builds one by hand.
 */
const CURSOR = /^e([0-9a-f]{16})([0-9a-f]{16})$/;

export function encodeCursor(position: Position): string {
  return `e${BigInt(position.xid).toString(16).padStart(16, '0')}${BigInt(position.seq).toString(16).padStart(16, '0')}`;
}

/** The position a cursor names, or null when it is not one of ours. */
export function decodeCursor(cursor: string): Position | null {
  const match = CURSOR.exec(cursor);
  if (!match) return null;
  const [xid, seq] = [BigInt(`0x${match[1]}`), BigInt(`0x${match[2]}`)];
  // Both are bigints in PostgreSQL: seq a signed one, xid8 an unsigned one we never see past 2^63.
  if (xid >= 2n ** 63n || seq >= 2n ** 63n) return null;
  return { xid: xid.toString(), seq: seq.toString() };
}

interface EventRow {
  id: string;
  xid: string;
  seq: string;
  realm_id: string;
  type: string;
  session_id: string;
  user_id: string;
  reason: string | null;
  created_at: Date;
}

function recorded(row: EventRow): RecordedEvent {
  return {
    id: row.id,
    cursor: encodeCursor(row),
    realmId: row.realm_id,
    type: TYPE_OF[row.type],
    sessionId: row.session_id,
    userId: row.user_id,
    reason: row.reason as TerminationReason | null,
    at: new Date(row.created_at),
  };
}

/**
 * Reads of the durable event record: the session lifecycle rows of audit_event, in the order of
 * (xid, seq). A read returns only rows of transactions older than every transaction still running
 * (`xid < pg_snapshot_xmin(…)`), so no row can later appear before what a reader has seen: reading
 * on after the last cursor never misses one (test/event-store.test.ts).
 */
export class EventStore {
  constructor(private readonly em: EntityManager) {}

  /** Up to `limit` events after `after` (null: from the oldest kept), oldest first; of one realm, or of all. */
  async readAfter(after: string | null, opts: { realmId?: string; limit: number }): Promise<RecordedEvent[]> {
    const position = after === null ? null : decodeCursor(after);
    if (after !== null && !position) throw badInput('after', 'not a cursor of this event record');
    const realm = opts.realmId === undefined ? sql`true` : sql`a.realm_id = ${opts.realmId}`;
    const from = position ? sql`(a.xid, a.seq) > (${position.xid}::xid8, ${position.seq}::bigint)` : sql`true`;
    const rows = await sqlRows<EventRow>(
      this.em,
      sql`select a.id, a.xid::text as xid, a.seq::text as seq, a.realm_id, a.type, a.session_id, a.user_id, a.reason, a.created_at
            from audit_event a
           where ${SESSION_EVENT} and ${realm} and ${from} and a.xid < pg_snapshot_xmin(pg_current_snapshot())
           order by a.xid, a.seq
           limit ${opts.limit}`,
    );
    return rows.map(recorded);
  }

  /** The cursor just past every event readable now: where a feed that starts live begins. */
  async head(): Promise<string> {
    const [row] = await sqlRows<{ xid: string }>(this.em, sql`select (pg_snapshot_xmin(pg_current_snapshot())::text::numeric - 1)::text as xid`);
    return encodeCursor({ xid: row.xid, seq: '9223372036854775807' });
  }

  /**
   * Refuse a cursor a feed of `realmId` cannot resume from: not one of ours, of another realm, or
   * older than the retention (`keptSince`): BAD_USER_INPUT on `after`.
   */
  async checkCursor(cursor: string, realmId: string, keptSince: Date): Promise<void> {
    const position = decodeCursor(cursor);
    if (!position) throw badInput('after', 'not a cursor of this event record');
    const [row] = await sqlRows<{ realm_id: string; created_at: Date }>(
      this.em,
      sql`select a.realm_id, a.created_at from audit_event a
           where ${SESSION_EVENT} and a.xid = ${position.xid}::xid8 and a.seq = ${position.seq}::bigint`,
    );
    if (!row || new Date(row.created_at) < keptSince) throw badInput('after', 'the cursor is older than the event retention; start again without one');
    if (row.realm_id !== realmId) throw badInput('after', 'the cursor is not of this realm');
  }
}

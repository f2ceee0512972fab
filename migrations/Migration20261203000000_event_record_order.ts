import { Migration } from '@mikro-orm/migrations';

// The audit rows of session lifecycle events (LOGIN_SUCCEEDED with a session, SESSION_REFRESHED,
// SESSION_TERMINATED) become the durable event record that feeds resume from (docs/events.md):
// they are already written in the transaction of every change they report, so a second row per
// event would double the writes of the hottest paths for nothing.
//
// Readers need an order in which nothing can appear behind what they have read. Neither
// created_at nor a sequence gives one: a transaction that took its number first may commit last.
// The writing transaction's id does, read up to the oldest transaction still running
// (pg_snapshot_xmin of the current snapshot): everything below it has committed or never will.
// `seq` orders the rows of one transaction. Both are filled in by defaults: no statement changes.
export class Migration20261203000000_event_record_order extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table audit_event add column xid xid8 not null default pg_current_xact_id();`);
    this.addSql(`alter table audit_event add column seq bigint generated always as identity;`);
    const sessionEvents = `type in ('LOGIN_SUCCEEDED', 'SESSION_REFRESHED', 'SESSION_TERMINATED') and session_id is not null`;
    // A realm's feed, and every realm's (webhook dispatch, back-channel logout).
    this.addSql(`create index audit_event_record_realm_idx on audit_event (realm_id, xid, seq) where ${sessionEvents};`);
    this.addSql(`create index audit_event_record_idx on audit_event (xid, seq) where ${sessionEvents};`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index audit_event_record_idx; drop index audit_event_record_realm_idx;`);
    this.addSql(`alter table audit_event drop column seq, drop column xid;`);
  }
}

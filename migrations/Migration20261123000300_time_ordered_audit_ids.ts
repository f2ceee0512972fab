import { Migration } from '@mikro-orm/migrations';

// Audit event ids made in the database (one per ended session in set-based terminations) take the
// shape of ids.ts's newTimeOrderedId: 'aud_', the creation time in milliseconds as 12 hex digits,
// then 80 random bits in base64url: bytes 0–5 and 9–12 of a random UUID, none of which holds its
// version or variant bits. Later ids sort later, so inserts go to the right edge of audit_event's
// primary key instead of to random pages of an index that a year of events makes larger than memory.
export class Migration20261123000300_time_ordered_audit_ids extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create or replace function tessera_audit_id() returns text language sql volatile as $$
        select 'aud_' || lpad(to_hex((extract(epoch from clock_timestamp()) * 1000)::bigint), 12, '0')
               || rtrim(translate(encode(substring(u from 1 for 6) || substring(u from 10 for 4), 'base64'), '+/', '-_'), '=')
          from uuid_send(gen_random_uuid()) as u
      $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(`
      create or replace function tessera_audit_id() returns text language sql volatile as $$
        select 'aud_' || rtrim(translate(encode(uuid_send(gen_random_uuid()), 'base64'), '+/', '-_'), '=')
      $$;`);
  }
}

import { Migration } from '@mikro-orm/migrations';

// Every refresh inserts a refresh token and an audit event, and each insert's foreign-key check
// takes a share lock on its realm's row. Thousands of transactions a second locking one row make
// PostgreSQL create a multixact (and WAL) for almost every one of them: measured, 13–24 % of the
// database's CPU per refresh. Neither key protects anything:
// - refresh_token.session_id references the session, whose realm_id references the realm, and
//   deletes cascade along that chain just the same;
// - audit_event is a log: like its user_id and session_id, its realm_id records what happened and
//   must not make the log refuse to record it.
export class Migration20261123000100_no_foreign_keys_to_hot_realm_rows extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table refresh_token drop constraint refresh_token_realm_id_fkey;`);
    this.addSql(`alter table audit_event drop constraint audit_event_realm_id_fkey;`);
  }

  override async down(): Promise<void> {
    this.addSql(
      `alter table refresh_token add constraint refresh_token_realm_id_fkey foreign key (realm_id) references realm(id) on delete cascade deferrable initially deferred;`,
    );
    this.addSql(
      `alter table audit_event add constraint audit_event_realm_id_fkey foreign key (realm_id) references realm(id) on delete cascade deferrable initially deferred;`,
    );
  }
}

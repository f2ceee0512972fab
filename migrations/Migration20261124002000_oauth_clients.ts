import { Migration } from '@mikro-orm/migrations';

// OAuth clients of a realm (docs/oauth.md): the relying parties that introspect and revoke tokens
// and receive back-channel logouts. The secret is kept only as its SHA-256 (it has 256 random
// bits, see src/auth/opaque-tokens.ts); a client goes with its realm.
export class Migration20261124002000_oauth_clients extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table oauth_client (
        id text primary key,
        realm_id text not null references realm(id) on delete cascade deferrable initially deferred,
        name text not null,
        secret_hash text not null,
        backchannel_logout_uri text,
        created_at timestamptz not null,
        updated_at timestamptz not null
      );`);
    this.addSql(`create index oauth_client_realm_idx on oauth_client (realm_id, created_at, id);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists oauth_client;`);
  }
}

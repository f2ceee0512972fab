import { Migration } from '@mikro-orm/migrations';

// Webhooks and back-channel logout (docs/webhooks.md, docs/oauth.md): the endpoints admins
// register, and one retry queue for every outbound delivery, in PostgreSQL rather than in memory
// so that a restart, a crash or a slow receiver loses nothing and slows no request.
//
// - webhook_endpoint.secret (and previous_secret during the 24 h overlap after a rotation) is the
//   signing secret sealed under KEY_ENCRYPTION_KEY like signing keys: it must sign, so it cannot be
//   hashed.
// - delivery: one row per (event × endpoint) and (termination × client with a back-channel URI);
//   the unique indexes make fanning out twice harmless. Due rows are found through a partial index
//   on PENDING only: finished rows (nearly all of them) never enter it.
// - delivery_fanout: how far into the event record the fan-out has got, moved in the transaction
//   that inserts the deliveries it found.
export class Migration20261204000000_webhooks extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table webhook_endpoint (
        id text primary key,
        realm_id text not null references realm(id) on delete cascade deferrable initially deferred,
        url text not null,
        description text,
        event_types text[] not null,
        enabled boolean not null default true,
        disabled_reason text,
        secret text not null,
        previous_secret text,
        previous_secret_expires_at timestamptz,
        failing_since timestamptz,
        created_at timestamptz not null,
        updated_at timestamptz not null
      );`);
    this.addSql(`create index webhook_endpoint_realm_idx on webhook_endpoint (realm_id, created_at, id);`);
    this.addSql(`
      create table delivery (
        id text primary key,
        realm_id text not null,
        endpoint_id text references webhook_endpoint(id) on delete cascade,
        client_id text references oauth_client(id) on delete cascade,
        event_id text not null,
        event_type text not null,
        payload jsonb not null,
        status text not null default 'PENDING' check (status in ('PENDING', 'SUCCEEDED', 'FAILED')),
        attempts integer not null default 0,
        next_attempt_at timestamptz,
        lease_until timestamptz,
        last_response_status integer,
        last_error text,
        delivered_at timestamptz,
        created_at timestamptz not null,
        check ((endpoint_id is null) <> (client_id is null))
      );`);
    this.addSql(`create unique index delivery_endpoint_event_idx on delivery (endpoint_id, event_id) where endpoint_id is not null;`);
    this.addSql(`create unique index delivery_client_event_idx on delivery (client_id, event_id) where client_id is not null;`);
    this.addSql(`create index delivery_due_idx on delivery (next_attempt_at) where status = 'PENDING';`);
    // An endpoint's deliveries, newest first (WebhookEndpoint.deliveries).
    this.addSql(`create index delivery_endpoint_list_idx on delivery (endpoint_id, created_at desc, id desc) where endpoint_id is not null;`);
    // Retention: finished deliveries by age.
    this.addSql(`create index delivery_finished_idx on delivery (created_at) where status <> 'PENDING';`);
    this.addSql(`create table delivery_fanout (id text primary key, cursor text not null);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists delivery_fanout; drop table if exists delivery; drop table if exists webhook_endpoint;`);
  }
}

import { Migration } from '@mikro-orm/migrations';

// Written by hand rather than generated: partial indexes, check constraints and foreign keys carry
// rules (one username per realm whatever its case, realm isolation) that the entity metadata can't.
// Foreign keys are checked at commit (deferred): entities carry plain id columns, not ORM relations,
// so the unit of work does not order inserts by dependency.
export class Migration20261122000000_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table realm (
        id text primary key,
        name text not null,
        jwt_algorithm text not null check (jwt_algorithm in ('HS256','RS256')),
        jwt_fields jsonb not null default '[]',
        session_type text not null check (session_type in ('MANAGED','UNMANAGED')),
        session_minutes integer,
        api_key_minutes integer,
        access_token_seconds integer not null,
        idle_timeout_seconds integer,
        max_active_sessions integer not null,
        created_at timestamptz not null,
        updated_at timestamptz not null
      );`);
    this.addSql(`create index realm_created_idx on realm (created_at desc, id desc);`);

    this.addSql(`
      create table signing_key (
        id text primary key,
        realm_id text not null references realm(id) on delete cascade deferrable initially deferred,
        algorithm text not null check (algorithm in ('HS256','RS256')),
        secret text,
        private_key_pem text,
        public_key_pem text,
        created_at timestamptz not null,
        retired_at timestamptz
      );`);
    this.addSql(`create index signing_key_realm_idx on signing_key (realm_id, created_at desc);`);

    this.addSql(`
      create table app_user (
        id text primary key,
        realm_id text not null references realm(id) on delete cascade deferrable initially deferred,
        kind text not null check (kind in ('HUMAN','API')),
        username text not null,
        username_key text not null,
        email text,
        first_name text,
        last_name text,
        custom_attributes jsonb not null default '{}',
        disabled boolean not null default false,
        password_hash text,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        last_login_at timestamptz,
        constraint app_user_realm_username_key unique (realm_id, username_key)
      );`);
    this.addSql(`create index app_user_realm_created_idx on app_user (realm_id, created_at desc, id desc);`);

    this.addSql(`
      create table api_key (
        id text primary key,
        realm_id text not null references realm(id) on delete cascade deferrable initially deferred,
        user_id text not null references app_user(id) on delete cascade deferrable initially deferred,
        key_hash text not null unique,
        created_at timestamptz not null,
        last_used_at timestamptz,
        revoked_at timestamptz
      );`);
    this.addSql(`create index api_key_user_idx on api_key (user_id);`);

    this.addSql(`
      create table org (
        id text primary key,
        realm_id text not null references realm(id) on delete cascade deferrable initially deferred,
        name text not null,
        custom_attributes jsonb not null default '{}',
        created_at timestamptz not null,
        updated_at timestamptz not null
      );`);
    this.addSql(`create index org_realm_created_idx on org (realm_id, created_at desc, id desc);`);

    this.addSql(`
      create table membership (
        id text primary key,
        realm_id text not null references realm(id) on delete cascade deferrable initially deferred,
        user_id text not null references app_user(id) on delete cascade deferrable initially deferred,
        org_id text references org(id) on delete cascade deferrable initially deferred,
        permissions jsonb not null default '[]',
        custom_attributes jsonb not null default '{}',
        created_at timestamptz not null,
        updated_at timestamptz not null
      );`);
    // One membership per (user, org), and one realm-wide membership per user.
    this.addSql(`create unique index membership_user_org_key on membership (user_id, coalesce(org_id, ''));`);
    this.addSql(`create index membership_org_idx on membership (org_id);`);

    this.addSql(`
      create table session (
        id text primary key,
        realm_id text not null references realm(id) on delete cascade deferrable initially deferred,
        user_id text not null references app_user(id) on delete cascade deferrable initially deferred,
        state text not null check (state in ('ACTIVE','TERMINATED','EXPIRED')),
        created_at timestamptz not null,
        last_active_at timestamptz not null,
        expires_at timestamptz not null,
        idle_timeout_seconds integer,
        idle_expires_at timestamptz,
        access_token_seconds integer not null,
        ip text,
        user_agent text,
        app text,
        terminated_at timestamptz,
        termination_reason text
      );`);
    this.addSql(`create index session_user_idx on session (user_id, state, created_at desc);`);
    this.addSql(`create index session_realm_created_idx on session (realm_id, created_at desc, id desc);`);
    // The expiry sweeper only ever looks at active sessions.
    this.addSql(`create index session_active_expiry_idx on session (expires_at) where state = 'ACTIVE';`);
    this.addSql(`create index session_active_idle_idx on session (idle_expires_at) where state = 'ACTIVE';`);

    this.addSql(`
      create table refresh_token (
        token_hash text primary key,
        session_id text not null references session(id) on delete cascade deferrable initially deferred,
        realm_id text not null references realm(id) on delete cascade deferrable initially deferred,
        created_at timestamptz not null,
        rotated_at timestamptz,
        successor_seed text
      );`);
    this.addSql(`create index refresh_token_session_idx on refresh_token (session_id);`);

    this.addSql(`
      create table admin_key (
        id text primary key,
        name text not null,
        key_hash text not null unique,
        scopes jsonb not null,
        realm_id text references realm(id) on delete cascade deferrable initially deferred,
        created_at timestamptz not null,
        last_used_at timestamptz,
        revoked_at timestamptz
      );`);

    this.addSql(`
      create table audit_event (
        id text primary key,
        realm_id text references realm(id) on delete cascade deferrable initially deferred,
        type text not null,
        actor text not null,
        user_id text,
        session_id text,
        reason text,
        ip text,
        data jsonb not null default '{}',
        created_at timestamptz not null
      );`);
    this.addSql(`create index audit_event_realm_created_idx on audit_event (realm_id, created_at desc, id desc);`);
  }

  override async down(): Promise<void> {
    for (const table of ['audit_event', 'admin_key', 'refresh_token', 'session', 'membership', 'org', 'api_key', 'app_user', 'signing_key', 'realm']) {
      this.addSql(`drop table if exists ${table} cascade;`);
    }
  }
}

import { Migration } from '@mikro-orm/migrations';

// Admin keys are managed over the API (docs/operations.md#admin-keys), which brings two rules the
// table must keep whoever writes it:
// - the new scope ADMIN_KEYS_MANAGE belongs to every all-scopes key: keys that held every scope
//   before it existed (the bootstrap key, the CLI's default keys, the initial key) get it, so an
//   operator's key does not silently lose the power to manage keys;
// - a live key's name is unique, so that `adminKeys` and `admin-key list` name one key each.
//   Live duplicates from before (the CLI never refused them) keep the oldest name as it is and
//   the others get their id appended; a revoked key's name may be given again.
export class Migration20261203230000_admin_keys_over_the_api extends Migration {
  override async up(): Promise<void> {
    const before = JSON.stringify(['REALMS_MANAGE', 'REALMS_READ', 'USERS_MANAGE', 'USERS_READ', 'SESSIONS_READ', 'SESSIONS_TERMINATE']);
    this.addSql(
      `update admin_key set scopes = scopes || '["ADMIN_KEYS_MANAGE"]'::jsonb where scopes @> '${before}'::jsonb and not scopes @> '["ADMIN_KEYS_MANAGE"]'::jsonb;`,
    );
    this.addSql(`
      update admin_key a set name = a.name || ' (' || a.id || ')'
       where a.revoked_at is null
         and exists (select 1 from admin_key b where b.name = a.name and b.revoked_at is null and (b.created_at, b.id) < (a.created_at, a.id));`);
    this.addSql(`create unique index admin_key_live_name_idx on admin_key (name) where revoked_at is null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index admin_key_live_name_idx;`);
    this.addSql(`update admin_key set scopes = scopes - 'ADMIN_KEYS_MANAGE';`);
  }
}

import { Migration } from '@mikro-orm/migrations';

// Rotated signing keys verified what they signed forever, so a leaked HS256 secret could never be
// revoked (issue 16). A key now records how long the tokens it signed may live (`token_lifetimes`,
// src/realm/token-lifetimes.ts) and until when it verifies anything at all (`verifies_until`: set
// at rotation from those lifetimes, or to the moment of retireRealmKey; null while it signs, or
// while it may have signed open-ended tokens). Existing keys take their realm's current settings;
// keys rotated before this get their deadline from those.
export class Migration20261124000000_signing_key_lifetimes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table signing_key add column token_lifetimes jsonb, add column verifies_until timestamptz;`);
    this.addSql(`
      update signing_key k set token_lifetimes = jsonb_build_object(
          'managed', case when r.session_type = 'MANAGED' then to_jsonb(r.access_token_seconds) else 'null'::jsonb end,
          'unmanaged', case when r.session_type = 'MANAGED' then 'null'::jsonb
                            when r.session_minutes is null then to_jsonb('open'::text) else to_jsonb(r.session_minutes * 60) end,
          'api', case when r.api_key_minutes is null then to_jsonb('open'::text) else to_jsonb(r.api_key_minutes * 60) end)
        from realm r where r.id = k.realm_id;`);
    // The same deadline as verificationDeadline(): the rotation grace (10 s), the longest lifetime,
    // the tolerated skew on exp (30 s).
    this.addSql(`
      update signing_key k set verifies_until = k.retired_at + make_interval(secs => 40 + greatest(
          coalesce((k.token_lifetimes->>'managed')::int, 0),
          coalesce((k.token_lifetimes->>'unmanaged')::int, 0),
          coalesce((k.token_lifetimes->>'api')::int, 0)))
       where k.retired_at is not null
         and coalesce(k.token_lifetimes->>'unmanaged', '') <> 'open' and k.token_lifetimes->>'api' <> 'open';`);
    this.addSql(`alter table signing_key alter column token_lifetimes set not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table signing_key drop column token_lifetimes, drop column verifies_until;`);
  }
}

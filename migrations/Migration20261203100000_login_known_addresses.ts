import { Migration } from '@mikro-orm/migrations';

// Lockout resistance (issue 16 item 5): 20 wrong passwords from 5 addresses, then one attempt every
// ~200 ms from rotating addresses, kept an account blocked for good — the owner, with the right
// password from its own address, got in 0 of 75 times in 150 s — because the account-wide counter
// renewed its block from any address. An address that logged in to the account before is now
// *known* to it and subject only to its own account+address counter (throttle.ts THROTTLE_RULES).
//
// The account+address counter row remembers the success: `last_success_at`, read by the charging
// statement the login already makes (no extra round trip), and kept by the pruning while recent.
//
// The success settles in the same round trip as before, with new signatures: the address to mark
// known, the other charges to refund (several now: account, address), and the login's time (the
// instance's clock, as every other throttle time). The overloads of
// Migration20261123000000_login_in_two_round_trips stay, unused, so that instances of the previous
// version keep logging users in during a rolling upgrade; calls name their argument types, so the
// two 18-argument tessera_open_session overloads never make a call ambiguous.
export class Migration20261203100000_login_known_addresses extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table login_throttle add column last_success_at timestamptz;`);
    this.addSql(`
      create function tessera_settle_login_throttle(p_known text, p_refund text[], p_refund_thresholds integer[], p_now timestamptz)
      returns void language plpgsql volatile as $$
      begin
        perform 1 from login_throttle where key = any(array_append(p_refund, p_known)) order by key for update;
        if p_known is not null then
          insert into login_throttle as t (key, failures, last_failure_at, blocked_until, last_success_at)
          values (p_known, 0, p_now, null, p_now)
          on conflict (key) do update set failures = 0, blocked_until = null, last_success_at = excluded.last_success_at;
        end if;
        update login_throttle t
           set failures = greatest(t.failures - 1, 0),
               blocked_until = case when t.failures - 1 < r.threshold then null else t.blocked_until end
          from unnest(p_refund, p_refund_thresholds) as r(key, threshold)
         where t.key = r.key;
      end;
      $$;`);
    this.addSql(`
      create function tessera_open_session(
        p_realm_id text, p_user_id text, p_now timestamptz, p_upgraded_hash text, p_max_active integer,
        p_session_id text, p_expires_at timestamptz, p_idle_timeout_seconds integer, p_access_token_seconds integer,
        p_ip text, p_user_agent text, p_app text, p_token_hash text, p_audit_id text, p_audit_data jsonb,
        p_throttle_known text, p_throttle_refund text[], p_throttle_refund_thresholds integer[])
      returns table (session jsonb, ended jsonb)
      language plpgsql volatile as $$
      begin
        if p_throttle_known is not null then
          perform tessera_settle_login_throttle(p_throttle_known, p_throttle_refund, p_throttle_refund_thresholds, p_now);
        end if;
        return query select * from tessera_open_session(
          p_realm_id, p_user_id, p_now, p_upgraded_hash, p_max_active, p_session_id, p_expires_at, p_idle_timeout_seconds,
          p_access_token_seconds, p_ip, p_user_agent, p_app, p_token_hash, p_audit_id, p_audit_data);
      end;
      $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(
      `drop function if exists tessera_open_session(text, text, timestamptz, text, integer, text, timestamptz, integer, integer, text, text, text, text, text, jsonb, text, text[], integer[]);`,
    );
    this.addSql(`drop function if exists tessera_settle_login_throttle(text, text[], integer[], timestamptz);`);
    this.addSql(`alter table login_throttle drop column if exists last_success_at;`);
  }
}

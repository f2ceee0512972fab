import { Migration } from '@mikro-orm/migrations';

// A successful login's throttle bookkeeping moves into the database, so that it rides in the same
// round trip as the session (SessionService.startSession): a login is now two round trips to
// PostgreSQL — charge its throttle counters and read the realm and user; then settle the counters
// and open the session — instead of five.
//
// tessera_settle_login_throttle clears an account's counters and refunds one charge of the
// address's counter (LoginThrottle.settleSuccess/refund). Rows are locked in key order, as charging
// locks them, so the two cannot deadlock.
//
// tessera_open_session gains an overload with the counters to settle as three more parameters: it
// settles them, then opens the session with the function of Migration20261122000200. The counters
// first, then the user: every statement that takes both takes them in this order, and charging
// takes only counters, so none can deadlock.
export class Migration20261123000000_login_in_two_round_trips extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create function tessera_settle_login_throttle(p_clear text[], p_refund text, p_refund_threshold integer)
      returns void language plpgsql volatile as $$
      begin
        perform 1 from login_throttle where key = any(array_append(p_clear, p_refund)) order by key for update;
        delete from login_throttle where key = any(p_clear);
        update login_throttle
           set failures = greatest(failures - 1, 0),
               blocked_until = case when failures - 1 < p_refund_threshold then null else blocked_until end
         where key = p_refund;
      end;
      $$;`);
    this.addSql(`
      create function tessera_open_session(
        p_realm_id text, p_user_id text, p_now timestamptz, p_upgraded_hash text, p_max_active integer,
        p_session_id text, p_expires_at timestamptz, p_idle_timeout_seconds integer, p_access_token_seconds integer,
        p_ip text, p_user_agent text, p_app text, p_token_hash text, p_audit_id text, p_audit_data jsonb,
        p_throttle_clear text[], p_throttle_refund text, p_throttle_refund_threshold integer)
      returns table (session jsonb, ended jsonb)
      language plpgsql volatile as $$
      begin
        if p_throttle_clear is not null then
          perform tessera_settle_login_throttle(p_throttle_clear, p_throttle_refund, p_throttle_refund_threshold);
        end if;
        return query select * from tessera_open_session(
          p_realm_id, p_user_id, p_now, p_upgraded_hash, p_max_active, p_session_id, p_expires_at, p_idle_timeout_seconds,
          p_access_token_seconds, p_ip, p_user_agent, p_app, p_token_hash, p_audit_id, p_audit_data);
      end;
      $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(
      `drop function if exists tessera_open_session(text, text, timestamptz, text, integer, text, timestamptz, integer, integer, text, text, text, text, text, jsonb, text[], text, integer);`,
    );
    this.addSql(`drop function if exists tessera_settle_login_throttle;`);
  }
}

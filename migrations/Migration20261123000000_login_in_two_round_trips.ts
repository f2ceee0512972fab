import { Migration } from '@mikro-orm/migrations';

// A successful login's throttle bookkeeping moves into the database, so that it rides in the same
// round trip as the session (SessionService.startSession): a login is now two round trips to
// PostgreSQL — charge its throttle counters and read the realm and user; then settle the counters
// and open the session — instead of five.
//
// tessera_settle_login_throttle clears an account's counters and refunds one charge of the
// address's counter (LoginThrottle.settle/refund). Rows are locked in key order, as charging locks
// them, so the two cannot deadlock. tessera_open_session is reissued with three more parameters:
// the counters to settle, null when the session is not opened by a password login.
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
    this.addSql(`drop function tessera_open_session(text, text, timestamptz, text, integer, text, timestamptz, integer, integer, text, text, text, text, text, jsonb);`);
    this.addSql(`
      create function tessera_open_session(
        p_realm_id text, p_user_id text, p_now timestamptz, p_upgraded_hash text, p_max_active integer,
        p_session_id text, p_expires_at timestamptz, p_idle_timeout_seconds integer, p_access_token_seconds integer,
        p_ip text, p_user_agent text, p_app text, p_token_hash text, p_audit_id text, p_audit_data jsonb,
        p_throttle_clear text[], p_throttle_refund text, p_throttle_refund_threshold integer)
      returns table (session jsonb, ended jsonb)
      language plpgsql volatile as $$
      declare
        v_ended jsonb;
        v_evicted jsonb;
        v_over integer;
      begin
        -- The login's throttle counters first, then the user: every statement that takes both
        -- takes them in this order, and charging takes only counters, so none can deadlock.
        if p_throttle_clear is not null then
          perform tessera_settle_login_throttle(p_throttle_clear, p_throttle_refund, p_throttle_refund_threshold);
        end if;

        update app_user set last_login_at = p_now, password_hash = coalesce(p_upgraded_hash, password_hash)
         where id = p_user_id and realm_id = p_realm_id;

        with ran_out as (
          update session
             set state = 'EXPIRED',
                 terminated_at = case when idle_expires_at < expires_at then idle_expires_at else expires_at end,
                 termination_reason = case when idle_expires_at < expires_at then 'IDLE_TIMEOUT' else 'EXPIRED' end
           where realm_id = p_realm_id and user_id = p_user_id and state = 'ACTIVE'
             and (expires_at <= p_now or idle_expires_at <= p_now)
          returning id, user_id, realm_id, termination_reason, terminated_at),
        audited as (
          insert into audit_event (id, realm_id, type, actor, user_id, session_id, reason, ip, data, created_at)
          select tessera_audit_id(),
                 realm_id, 'SESSION_TERMINATED', 'system', user_id, id, termination_reason, null, '{}', p_now
            from ran_out)
        select coalesce(jsonb_agg(to_jsonb(ran_out)), '[]') into v_ended from ran_out;

        select count(*) - p_max_active + 1 into v_over
          from session where realm_id = p_realm_id and user_id = p_user_id and state = 'ACTIVE';
        if v_over > 0 then
          with oldest as (
            select id from session where realm_id = p_realm_id and user_id = p_user_id and state = 'ACTIVE'
             order by created_at, id limit v_over),
          evicted as (
            update session s set state = 'TERMINATED', terminated_at = p_now, termination_reason = 'EVICTED'
              from oldest o where s.id = o.id and s.state = 'ACTIVE'
            returning s.id, s.user_id, s.realm_id, s.termination_reason, s.terminated_at),
          audited as (
            insert into audit_event (id, realm_id, type, actor, user_id, session_id, reason, ip, data, created_at)
            select tessera_audit_id(),
                   realm_id, 'SESSION_TERMINATED', 'system', user_id, id, 'EVICTED', p_ip, '{}', p_now
              from evicted)
          select coalesce(jsonb_agg(to_jsonb(evicted)), '[]') into v_evicted from evicted;
          v_ended := v_ended || v_evicted;
        end if;

        return query
        with created as (
          insert into session (id, realm_id, user_id, state, created_at, last_active_at, expires_at, idle_timeout_seconds,
                               idle_expires_at, access_token_seconds, ip, user_agent, app)
          values (p_session_id, p_realm_id, p_user_id, 'ACTIVE', p_now, p_now, p_expires_at, p_idle_timeout_seconds,
                  p_now + make_interval(secs => p_idle_timeout_seconds), p_access_token_seconds, p_ip, p_user_agent, p_app)
          returning *),
        first_token as (
          insert into refresh_token (token_hash, session_id, realm_id, created_at) values (p_token_hash, p_session_id, p_realm_id, p_now)),
        audited as (
          insert into audit_event (id, realm_id, type, actor, user_id, session_id, ip, data, created_at)
          values (p_audit_id, p_realm_id, 'LOGIN_SUCCEEDED', 'user:' || p_user_id, p_user_id, p_session_id, p_ip,
                  p_audit_data || jsonb_build_object('evicted', coalesce((select jsonb_agg(e->'id') from jsonb_array_elements(v_evicted) e), '[]')),
                  p_now))
        select to_jsonb(created), v_ended from created;
      end;
      $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop function if exists tessera_open_session(text, text, timestamptz, text, integer, text, timestamptz, integer, integer, text, text, text, text, text, jsonb, text[], text, integer);`);
    this.addSql(`drop function if exists tessera_settle_login_throttle;`);
  }
}

import { Migration } from '@mikro-orm/migrations';

// A login's managed session in one round trip (SessionService.startSession): lock the user, end
// its sessions that ran out, evict the oldest beyond the realm's cap, then create the session, its
// first refresh token and the audit rows. Each statement sees the ones before it (a function's
// statements take fresh snapshots), so the cap holds under parallel logins of one user: the lock
// on the user row serialises them. The same rules as session-termination.ts's endSessions and
// expireDueSessions: a session that ran out ends at its deadline with the reason of the deadline
// that passed first; an eviction ends now. Returns the new session and the sessions it ended.
export class Migration20261122000200_open_session extends Migration {
  override async up(): Promise<void> {
    // An audit event id made in the database, for set-based inserts (one per ended session): 'aud_'
    // and 22 base64url characters, the shape of ids.ts's, from a random UUID's 122 random bits.
    this.addSql(`
      create function tessera_audit_id() returns text language sql volatile as $$
        select 'aud_' || rtrim(translate(encode(uuid_send(gen_random_uuid()), 'base64'), '+/', '-_'), '=')
      $$;`);
    this.addSql(`
      create function tessera_open_session(
        p_realm_id text, p_user_id text, p_now timestamptz, p_upgraded_hash text, p_max_active integer,
        p_session_id text, p_expires_at timestamptz, p_idle_timeout_seconds integer, p_access_token_seconds integer,
        p_ip text, p_user_agent text, p_app text, p_token_hash text, p_audit_id text, p_audit_data jsonb)
      returns table (session jsonb, ended jsonb)
      language plpgsql volatile as $$
      declare
        v_ended jsonb;
        v_evicted jsonb;
        v_over integer;
      begin
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
    this.addSql(`drop function if exists tessera_open_session;`);
    this.addSql(`drop function if exists tessera_audit_id;`);
  }
}

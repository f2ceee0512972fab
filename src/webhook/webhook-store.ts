import type { EntityManager } from '@mikro-orm/postgresql';
import { sql, sqlRows, runSql } from '../db/sql.js';
import { escapeLike } from '../db/like.js';

export interface EndpointTarget {
  id: string;
  url: string;
  enabled: boolean;
  /** Sealed (webhook.service.ts opens them with the endpoint id as associated data). */
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
}

/** How long an endpoint may fail without a success before it is disabled. */
export const DISABLE_AFTER_MS = 3 * 24 * 60 * 60 * 1000;

/** The statements on webhook_endpoint outside its CRUD (which is the ORM's, webhook.service.ts). */
export class WebhookStore {
  constructor(private readonly em: EntityManager) {}

  async targets(ids: string[]): Promise<EndpointTarget[]> {
    if (ids.length === 0) return [];
    return sqlRows<EndpointTarget>(
      this.em,
      sql`select id, url, enabled, secret, previous_secret, previous_secret_expires_at from webhook_endpoint where id = any(${ids}::text[])`,
    );
  }

  /**
   * Returns the endpoints that are (now) disabled.
   * After a batch of attempts: an endpoint with a success is healthy again; one with only failures
   * has been failing since its first, and after DISABLE_AFTER_MS of that it is disabled, saying why.
   */
  async recordHealth(succeeded: string[], failed: string[], now: Date): Promise<string[]> {
    if (succeeded.length > 0) {
      await runSql(this.em, sql`update webhook_endpoint set failing_since = null where id = any(${succeeded}::text[]) and failing_since is not null`);
    }
    if (failed.length === 0) return [];
    const since = new Date(now.getTime() - DISABLE_AFTER_MS);
    const rows = await sqlRows<{ id: string; enabled: boolean }>(
      this.em,
      sql`update webhook_endpoint
             set failing_since = coalesce(failing_since, ${now}),
                 enabled = case when coalesce(failing_since, ${now}) <= ${since} then false else enabled end,
                 disabled_reason = case when enabled and coalesce(failing_since, ${now}) <= ${since}
                                        then 'Every delivery failed for 3 days (since ' || to_char(failing_since at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ')'
                                        else disabled_reason end
           where id = any(${failed}::text[])
          returning id, enabled`,
    );
    return rows.filter((row) => !row.enabled).map((row) => row.id);
  }

  /**
   * The endpoints whose secret or previous secret starts (starting) or does not start with prefix,
   * locked: the ones the start must seal again (signing-key-sealer.ts).
   */
  lockWhereSecret(prefix: string, starting: boolean): Promise<{ id: string; secret: string; previous_secret: string | null }[]> {
    const pattern = `${escapeLike(prefix)}%`;
    return sqlRows(
      this.em,
      sql`select id, secret, previous_secret from webhook_endpoint
           where (secret like ${pattern}) = ${starting} or (previous_secret like ${pattern}) = ${starting} for update`,
    );
  }

  async writeSecrets(id: string, secret: string, previousSecret: string | null): Promise<void> {
    await runSql(this.em, sql`update webhook_endpoint set secret = ${secret}, previous_secret = ${previousSecret} where id = ${id}`);
  }
}

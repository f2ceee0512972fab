import { Migration } from '@mikro-orm/migrations';

// A claim must walk delivery_due_idx in due order and stop once it has found its batch. With the
// statistics of a queue that grew from empty within seconds (a burst of terminations after a quiet
// spell: no ANALYZE has seen the rows yet) the planner estimated one due row and planned the claim
// as a nested loop over every due row for each candidate: 166 ms for a claim of 128 with 5,000
// queued for one endpoint (PostgreSQL 15), a claim's cost growing with the queue and a drain with
// its square. So the claim is a function in two steps — pick the ids from the head of the index,
// then lock and lease them by primary key — planned with bitmap and sequential scans off, so that
// both steps are index walks whatever the statistics say: 7 ms for the same claim. With larger
// claims (src/delivery/deliveries.ts), `npm run bench`'s drain of 10,000 queued deliveries went
// from 586/s (PostgreSQL 1.20 ms of CPU per delivery) to 2,183/s (0.30 ms).
export class Migration20261204180956_claim_in_due_order extends Migration {
  override async up(): Promise<void> {
    // The body is the store's (src/delivery/delivery-store.ts, applied after every migration run);
    // here only the signature, which changes only through migrations.
    this.addSql(`
      create function tessera_claim_deliveries(p_now timestamptz, p_lease_until timestamptz, p_limit integer, p_per_target integer, p_rooms jsonb, p_candidates integer)
      returns setof delivery language sql volatile as $$ select * from delivery where false $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop function if exists tessera_claim_deliveries(timestamptz, timestamptz, integer, integer, jsonb, integer);`);
  }
}

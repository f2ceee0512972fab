import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/orm.js';
import { sql, sqlRows } from '../src/db/sql.js';
import { SESSION_STATES, TERMINATION_REASONS, type SessionState, type TerminationReason } from '../src/db/entities/index.js';
import { effectiveState, endedAt, sessionEnd } from '../src/session/session-state.js';
import { sessionRule } from '../src/session/session-store.sql.js';

// The liveness rule is written twice: in TypeScript (session-state.ts), for what the API shows and
// the token check decides, and in SQL (session-store.sql.ts), for what the statements write. Here
// they must agree for random sessions and times — on the database of the run: PGlite by default,
// PostgreSQL when DATABASE_URL is set.

let database: Database;
beforeAll(async () => {
  database = await openDatabase({ databaseUrl: process.env.DATABASE_URL || null, dataDir: 'memory://' });
}, 60_000);
afterAll(async () => {
  await database?.close();
});

const DAY = 24 * 60 * 60 * 1000;

interface Sample {
  state: SessionState;
  terminationReason: TerminationReason | null;
  expiresAt: Date;
  idleExpiresAt: Date | null;
  now: Date;
}

/**
 * A session as the code makes them — created at some time, expiring after its lifespan, idle
 * (when the realm has an idle timeout) that many seconds after its last activity — in any state,
 * and a moment to look at it: anywhere around its life, or within a millisecond of a deadline.
 */
const samples: fc.Arbitrary<Sample> = fc
  .record({
    createdAt: fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) }),
    lifespanSeconds: fc.integer({ min: 60, max: 400 * 24 * 3600 }),
    idleTimeoutSeconds: fc.option(fc.integer({ min: 1, max: 30 * 24 * 3600 }), { nil: null }),
    activeAfter: fc.double({ min: 0, max: 1, noNaN: true }),
    // Now and then the two deadlines meet, to the millisecond or within one.
    idleMeetsExpiry: fc.option(fc.integer({ min: -1, max: 1 }), { nil: null, freq: 3 }),
    state: fc.constantFrom(...SESSION_STATES),
    reason: fc.constantFrom(...TERMINATION_REASONS),
  })
  .chain((s) => {
    const expiresAt = s.createdAt + s.lifespanSeconds * 1000;
    const lastActiveAt = s.createdAt + Math.floor(s.activeAfter * s.lifespanSeconds * 1000);
    const idleAfterActivity = s.idleTimeoutSeconds === null ? null : lastActiveAt + s.idleTimeoutSeconds * 1000;
    const idleExpiresAt = idleAfterActivity !== null && s.idleMeetsExpiry !== null ? expiresAt + s.idleMeetsExpiry : idleAfterActivity;
    const deadlines = idleExpiresAt === null ? [expiresAt] : [expiresAt, idleExpiresAt];
    const now = fc.oneof(
      fc.integer({ min: s.createdAt - DAY, max: Math.max(...deadlines) + DAY }),
      fc.tuple(fc.constantFrom(...deadlines), fc.integer({ min: -1, max: 1 })).map(([at, by]) => at + by),
    );
    return now.map((at) => ({
      state: s.state,
      terminationReason: s.state === 'ACTIVE' ? null : s.reason,
      expiresAt: new Date(expiresAt),
      idleExpiresAt: idleExpiresAt === null ? null : new Date(idleExpiresAt),
      now: new Date(at),
    }));
  });

async function sqlRule(sample: Sample) {
  const rule = sessionRule(sql`s.`);
  const { now } = sample;
  const [row] = await sqlRows<{
    state: SessionState;
    reason: TerminationReason | null;
    live: boolean;
    ran_out: boolean;
    deadline_ms: string;
    deadline_reason: string;
  }>(
    database.orm.em.fork(),
    sql`select ${rule.stateAt(now)} as state, ${rule.reasonAt(now)} as reason, ${rule.liveAt(now)} as live, ${rule.ranOutAt(now)} as ran_out,
               round(extract(epoch from ${rule.deadline}) * 1000)::bigint as deadline_ms, ${rule.deadlineReason} as deadline_reason
          from (select ${sample.state}::text as state, ${sample.expiresAt}::timestamptz as expires_at,
                       ${sample.idleExpiresAt}::timestamptz as idle_expires_at, ${sample.terminationReason}::text as termination_reason) s`,
  );
  return row;
}

describe('the liveness rule: TypeScript and SQL agree', () => {
  it('on the state and reason as they read, on being live or run out, and on the deadline and its reason', async () => {
    await fc.assert(
      fc.asyncProperty(samples, async (sample) => {
        const inSql = await sqlRule(sample);
        const inTs = effectiveState(sample, sample.now);
        const end = sessionEnd(sample);
        expect({ state: inSql.state, reason: inSql.reason }).toEqual({ state: inTs.state, reason: inTs.reason });
        expect(inSql.live).toBe(inTs.state === 'ACTIVE');
        expect(inSql.ran_out).toBe(sample.state === 'ACTIVE' && inTs.state === 'EXPIRED');
        expect({ at: Number(inSql.deadline_ms), reason: inSql.deadline_reason }).toEqual({ at: end.at.getTime(), reason: end.reason });
        // A session that ran out reads as ended at its deadline, which is what the SQL writes down.
        if (sample.state === 'ACTIVE' && inTs.state === 'EXPIRED')
          expect(endedAt({ ...sample, terminatedAt: null }, sample.now)?.getTime()).toBe(Number(inSql.deadline_ms));
      }),
      { numRuns: 400 },
    );
  });

  it('on the edges: a deadline is already past at its own instant, and equal deadlines end as EXPIRED', async () => {
    const at = new Date(Date.UTC(2030, 0, 1));
    const edge = { state: 'ACTIVE' as const, terminationReason: null, expiresAt: at, idleExpiresAt: at, now: at };
    expect(await sqlRule(edge)).toMatchObject({ state: 'EXPIRED', reason: 'EXPIRED', live: false, ran_out: true });
    expect(effectiveState(edge, at)).toMatchObject({ state: 'EXPIRED', reason: 'EXPIRED' });
    const justBefore = { ...edge, now: new Date(at.getTime() - 1) };
    expect(await sqlRule(justBefore)).toMatchObject({ state: 'ACTIVE', reason: null, live: true, ran_out: false });
    expect(effectiveState(justBefore, justBefore.now).state).toBe('ACTIVE');
  });
});

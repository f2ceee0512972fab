import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownDatabase, startTestServer, type TestServer } from './helpers/server.js';
import { seedRealm, unique } from './helpers/factories.js';
import { Realm, User } from '../src/db/entities/index.js';
import { newId } from '../src/db/ids.js';
import { sql, sqlRows } from '../src/db/sql.js';
import { sha256 } from '../src/auth/opaque-tokens.js';
import { SessionStore } from '../src/session/session-store.js';

// The session store on its own, method by method, in the manner of Ory Kratos's
// session/test/persistence.go: what each statement writes and answers, and for each one that what
// belongs to another realm is neither touched nor answered. Against the database of the run
// (PGlite by default, PostgreSQL with DATABASE_URL) — a database of this file's own, because
// expireDue acts on every realm.

let server: TestServer;
let database: Awaited<ReturnType<typeof ownDatabase>> | undefined;
beforeAll(async () => {
  database = await ownDatabase();
  server = await startTestServer(database.env);
}, 60_000);
afterAll(async () => {
  await server?.close();
  await database?.drop();
});

const MINUTE = 60_000;
const T0 = Date.UTC(2031, 0, 1);
const at = (minutes: number) => new Date(T0 + minutes * MINUTE);
const em = () => server.app.deps.orm.em.fork();
const store = () => new SessionStore(em());
const by = (minutes: number, actor = 'admin:test') => ({ actor, ip: '10.0.0.9', now: at(minutes) });

/** A realm (an hour's sessions, ten idle minutes, at most `cap` live per user) with `users` users. */
async function realmWith(users = 1, cap = 3) {
  const seeded = await seedRealm(server, { sessionMinutes: 60, idleTimeoutSeconds: 600, maxActiveSessions: cap });
  const created = [];
  for (let i = 0; i < users; i++) created.push(await seeded.createUser());
  const realm = await em().findOneOrFail(Realm, { id: seeded.id });
  return { realm, users: await Promise.all(created.map((user) => em().findOneOrFail(User, { id: user.id }))) };
}

/** A session opened at `minute`, with its refresh token. */
async function open(realm: Realm, user: User, minute = 0) {
  const token = randomUUID();
  const now = at(minute);
  const opened = await store().openSession({
    realm,
    user,
    sessionId: newId('ses'),
    now,
    expiresAt: new Date(now.getTime() + realm.sessionMinutes! * MINUTE),
    upgradedHash: null,
    refreshTokenHash: sha256(token),
    client: { ip: '10.0.0.1', userAgent: 'store-test', app: 'store' },
    throttle: null,
  });
  if (!opened) throw new Error(`user ${user.id} is gone or disabled`);
  return { ...opened, token };
}

const stateOf = (id: string) => store().find(id, { realmId: null, userId: null });

/** In the order of the times the tests pass (ids made in the same millisecond sort by their random bits). */
function auditOf(realmId: string) {
  return sqlRows<{ type: string; actor: string; session_id: string | null; user_id: string | null; reason: string | null; ip: string | null }>(
    em(),
    sql`select type, actor, session_id, user_id, reason, ip from audit_event where realm_id = ${realmId} order by created_at, id`,
  );
}

describe('SessionStore.loginSubjects', () => {
  it('reads the realm and its user by username key; a realm of another user reads no user', async () => {
    const a = await realmWith();
    const b = await realmWith();
    const read = async (realmId: string | null, username: string) =>
      store().loginSubjectsOf((await sqlRows<never>(em(), sql`select ${SessionStore.loginSubjects(realmId, username.toLowerCase())}`))[0]);
    const found = await read(a.realm.id, a.users[0].username);
    expect(found.realm?.id).toBe(a.realm.id);
    expect(found.user?.id).toBe(a.users[0].id);
    const otherRealm = await read(b.realm.id, a.users[0].username);
    expect(otherRealm.realm?.id).toBe(b.realm.id);
    expect(otherRealm.user).toBeNull();
    expect(await read(null, a.users[0].username)).toEqual({ realm: null, user: null });
  });
});

describe('SessionStore.openSession', () => {
  it('creates an ACTIVE session with its deadlines, first refresh token and audit row', async () => {
    const { realm, users } = await realmWith();
    const { session, ended, token } = await open(realm, users[0], 0);
    expect(session).toMatchObject({ realmId: realm.id, userId: users[0].id, state: 'ACTIVE', expiresAt: at(60), idleExpiresAt: at(10), app: 'store' });
    expect(ended).toEqual([]);
    expect(await store().lockForRefresh(sha256(token))).toMatchObject({ session: { id: session.id }, rotatedAt: null, successorSeed: null });
    expect((await auditOf(realm.id)).filter((e) => e.type === 'LOGIN_SUCCEEDED')).toMatchObject([{ session_id: session.id, actor: `user:${users[0].id}` }]);
  });

  it("ends the user's sessions that ran out (at their deadline) and evicts the oldest beyond the cap — in its realm only", async () => {
    const a = await realmWith(1, 2);
    const b = await realmWith(1, 2);
    const idle = await open(a.realm, a.users[0], 0); // idle at minute 10
    const first = await open(a.realm, a.users[0], 20);
    const second = await open(a.realm, a.users[0], 21);
    const bs = [await open(b.realm, b.users[0], 0), await open(b.realm, b.users[0], 20)];
    expect(first.ended.map((e) => [e.sessionId, e.reason, e.at])).toEqual([[idle.session.id, 'IDLE_TIMEOUT', at(10).toISOString()]]);
    expect(second.ended).toEqual([]);
    const third = await open(a.realm, a.users[0], 22);
    expect(third.ended.map((e) => [e.sessionId, e.reason, e.at])).toEqual([[first.session.id, 'EVICTED', at(22).toISOString()]]);
    expect((await stateOf(second.session.id))?.state).toBe('ACTIVE');
    // Realm B's sessions are not the cap's business, nor its sweep's: the first one, idle too, was
    // ended by the second login in its own realm.
    expect(bs[1].ended.map((e) => e.sessionId)).toEqual([bs[0].session.id]);
    expect((await stateOf(bs[1].session.id))?.state).toBe('ACTIVE');
  });
});

describe('SessionStore.recordUnmanagedLogin and recordFailedLogin', () => {
  it('touch the user in its own realm only (else write nothing), and audit in the realm named', async () => {
    const a = await realmWith();
    const b = await realmWith();
    const user = a.users[0];
    expect(await store().recordUnmanagedLogin({ realmId: b.realm.id, userId: user.id, now: at(5), upgradedHash: 'not-a-hash', ip: '10.0.0.2', app: 'x' })).toBe(
      false,
    );
    const untouched = await em().findOneOrFail(User, { id: user.id });
    expect(untouched.lastLoginAt).toBeNull();
    expect(untouched.passwordHash).not.toBe('not-a-hash');
    expect(await store().recordUnmanagedLogin({ realmId: a.realm.id, userId: user.id, now: at(6), upgradedHash: null, ip: '10.0.0.2', app: 'x' })).toBe(true);
    expect((await em().findOneOrFail(User, { id: user.id })).lastLoginAt).toEqual(at(6));
    await store().recordFailedLogin({ realmId: a.realm.id, userId: null, username: 'x'.repeat(300), ip: '10.0.0.3', now: at(7) });
    const logins = async (realmId: string) => (await auditOf(realmId)).filter((e) => e.type.startsWith('LOGIN_')).map((e) => [e.type, e.actor]);
    expect(await logins(a.realm.id)).toEqual([
      ['LOGIN_SUCCEEDED', `user:${user.id}`],
      ['LOGIN_FAILED', 'anonymous'],
    ]);
    expect(await logins(b.realm.id)).toEqual([]);
  });
});

describe('SessionStore.rotate', () => {
  it('rotates the head token of a live session once, touching only that session', async () => {
    const a = await realmWith();
    const b = await realmWith();
    const mine = await open(a.realm, a.users[0], 0);
    const theirs = await open(b.realm, b.users[0], 0);
    const rotate = (token: string, minute: number) =>
      store().rotate({ presentedHash: sha256(token), nextHash: sha256(`${token}+`), seed: 'seed', now: at(minute), ip: '10.0.0.4' });
    const rotated = await rotate(mine.token, 5);
    expect(rotated?.session).toMatchObject({ id: mine.session.id, lastActiveAt: at(5), idleExpiresAt: at(15) });
    expect(rotated?.realm.id).toBe(a.realm.id);
    expect(rotated?.user.id).toBe(a.users[0].id);
    expect(await rotate(mine.token, 6)).toBeNull(); // spent
    expect(await rotate(`${mine.token}+`, 40)).toBeNull(); // its successor, but the session went idle at 15
    expect((await stateOf(theirs.session.id))?.lastActiveAt).toEqual(at(0));
    expect((await auditOf(a.realm.id)).filter((e) => e.type === 'SESSION_REFRESHED')).toHaveLength(1);
    expect((await auditOf(b.realm.id)).filter((e) => e.type === 'SESSION_REFRESHED')).toHaveLength(0);
  });
});

describe('SessionStore.lockForRefresh and endReused', () => {
  it('reads the locked session with its rotation; a reuse ends that session only, audited twice', async () => {
    const a = await realmWith();
    const b = await realmWith();
    const mine = await open(a.realm, a.users[0], 0);
    const theirs = await open(b.realm, b.users[0], 0);
    await store().rotate({ presentedHash: sha256(mine.token), nextHash: sha256(randomUUID()), seed: 'seed', now: at(1), ip: null });
    const events = await em().transactional(async (tx) => {
      const locked = await new SessionStore(tx).lockForRefresh(sha256(mine.token));
      expect(locked).toMatchObject({ session: { id: mine.session.id, state: 'ACTIVE' }, rotatedAt: at(1), successorSeed: 'seed' });
      expect(await new SessionStore(tx).lockForRefresh(sha256('unknown'))).toBeNull();
      return new SessionStore(tx).endReused(locked!.session, by(2, 'ignored'));
    });
    expect(events).toEqual([
      { type: 'TERMINATED', sessionId: mine.session.id, userId: a.users[0].id, realmId: a.realm.id, reason: 'REFRESH_TOKEN_REUSED', at: at(2).toISOString() },
    ]);
    const audit = (await auditOf(a.realm.id)).filter((e) => e.session_id === mine.session.id && e.type !== 'LOGIN_SUCCEEDED' && e.type !== 'SESSION_REFRESHED');
    expect(audit.map((e) => [e.type, e.actor, e.reason, e.ip]).sort()).toEqual([
      ['REFRESH_TOKEN_REUSED', 'anonymous', null, '10.0.0.9'],
      ['SESSION_TERMINATED', 'system', 'REFRESH_TOKEN_REUSED', '10.0.0.9'],
    ]);
    expect((await stateOf(theirs.session.id))?.state).toBe('ACTIVE');
  });
});

describe('SessionStore with a realm to stay in (the OAuth endpoints)', () => {
  it('rotate and lockForRefresh given a realm leave the refresh tokens of other realms alone', async () => {
    const a = await realmWith();
    const b = await realmWith();
    const mine = await open(b.realm, b.users[0], 0);
    const rotated = await store().rotate({
      presentedHash: sha256(mine.token),
      nextHash: sha256(randomUUID()),
      seed: 's',
      now: at(1),
      ip: null,
      realmId: a.realm.id,
    });
    expect(rotated).toBeNull();
    expect(await em().transactional((tx) => new SessionStore(tx).lockForRefresh(sha256(mine.token), a.realm.id))).toBeNull();
    expect(await store().lockForRefresh(sha256(mine.token), b.realm.id)).toMatchObject({ session: { id: mine.session.id }, rotatedAt: null });
    const own = await store().rotate({
      presentedHash: sha256(mine.token),
      nextHash: sha256(randomUUID()),
      seed: 's',
      now: at(1),
      ip: null,
      realmId: b.realm.id,
    });
    expect(own?.session.id).toBe(mine.session.id);
  });

  it('refreshTokenOf reads a token of its realm with its session and username, and nothing of another realm', async () => {
    const a = await realmWith();
    const b = await realmWith();
    const mine = await open(a.realm, a.users[0], 0);
    expect(await store().refreshTokenOf(sha256(mine.token), a.realm.id)).toMatchObject({
      sessionId: mine.session.id,
      userId: a.users[0].id,
      username: a.users[0].username,
      rotatedAt: null,
      state: 'ACTIVE',
      expiresAt: at(60),
      idleExpiresAt: at(10),
    });
    expect(await store().refreshTokenOf(sha256(mine.token), b.realm.id)).toBeNull();
    expect(await store().refreshTokenOf(sha256('unknown'), a.realm.id)).toBeNull();
  });
});

describe('SessionStore.find, stateOf and statesOf', () => {
  it('find answers within the reach only: the realm, the user, or everyone', async () => {
    const a = await realmWith(2);
    const b = await realmWith();
    const { session } = await open(a.realm, a.users[0]);
    expect((await store().find(session.id, { realmId: a.realm.id, userId: a.users[0].id }))?.id).toBe(session.id);
    expect((await store().find(session.id, { realmId: a.realm.id, userId: null }))?.id).toBe(session.id);
    expect(await store().find(session.id, { realmId: b.realm.id, userId: null })).toBeNull();
    expect(await store().find(session.id, { realmId: a.realm.id, userId: a.users[1].id })).toBeNull();
    expect(await store().find('ses_nope', { realmId: null, userId: null })).toBeNull();
  });

  it('stateOf reads one session of a realm and user; statesOf reads sessions of any realm', async () => {
    const a = await realmWith();
    const b = await realmWith();
    const mine = await open(a.realm, a.users[0]);
    const theirs = await open(b.realm, b.users[0]);
    expect(await store().stateOf(mine.session.id, a.realm.id, a.users[0].id)).toEqual({ state: 'ACTIVE', expiresAt: at(60), idleExpiresAt: at(10) });
    expect(await store().stateOf(mine.session.id, b.realm.id, a.users[0].id)).toBeNull();
    const states = await store().statesOf([mine.session.id, theirs.session.id, 'ses_nope']);
    expect(states.map((s) => [s.id, s.realm_id, s.state]).sort()).toEqual(
      [
        [mine.session.id, a.realm.id, 'ACTIVE'],
        [theirs.session.id, b.realm.id, 'ACTIVE'],
      ].sort(),
    );
  });
});

describe('SessionStore.list', () => {
  it("pages a realm's sessions newest first, of one user when asked, by the state they read as now; never another realm's", async () => {
    const a = await realmWith(2, 10);
    const b = await realmWith(1, 10);
    const [alice, bob] = a.users;
    const idle = await open(a.realm, alice, 0); // idle at 10
    const live = await open(a.realm, alice, 5);
    const bobs = await open(a.realm, bob, 6);
    const ended = await open(a.realm, alice, 7);
    await store().end({ realmId: a.realm.id, sessionId: ended.session.id }, 'LOGOUT', by(8));
    await open(b.realm, b.users[0], 9);
    const list = async (o: {
      userId?: string | null;
      state?: 'ACTIVE' | 'EXPIRED' | 'TERMINATED' | null;
      after?: { createdAt: Date; id: string } | null;
      limit?: number;
    }) =>
      (
        await store().list({ realmId: a.realm.id, userId: o.userId ?? null, state: o.state ?? null, after: o.after ?? null, limit: o.limit ?? 10, now: at(12) })
      ).map((s) => s.id);
    expect(await list({})).toEqual([ended, bobs, live, idle].map((s) => s.session.id));
    expect(await list({ userId: alice.id })).toEqual([ended, live, idle].map((s) => s.session.id));
    expect(await list({ state: 'ACTIVE' })).toEqual([bobs, live].map((s) => s.session.id));
    expect(await list({ state: 'EXPIRED' })).toEqual([idle.session.id]);
    expect(await list({ state: 'TERMINATED' })).toEqual([ended.session.id]);
    // limit + 1 rows: the extra one tells there is a next page.
    expect(await list({ limit: 1 })).toEqual([ended, bobs].map((s) => s.session.id));
    expect(await list({ after: { createdAt: bobs.session.createdAt, id: bobs.session.id } })).toEqual([live, idle].map((s) => s.session.id));
    expect(await list({ userId: b.users[0].id })).toEqual([]);
  });
});

describe('SessionStore.end', () => {
  it('ends the ACTIVE sessions of a session, a user (but one) or a realm target, once, with an audit row each — in its realm only', async () => {
    const a = await realmWith(2, 10);
    const b = await realmWith(1, 10);
    const [alice, bob] = a.users;
    const [a1, a2, a3] = [await open(a.realm, alice), await open(a.realm, alice), await open(a.realm, alice)];
    const bobs = await open(a.realm, bob);
    const theirs = await open(b.realm, b.users[0]);

    const one = await store().end({ realmId: a.realm.id, sessionId: a1.session.id }, 'LOGOUT', by(1));
    expect(one.map((e) => [e.sessionId, e.reason, e.at])).toEqual([[a1.session.id, 'LOGOUT', at(1).toISOString()]]);
    expect(await store().end({ realmId: a.realm.id, sessionId: a1.session.id }, 'LOGOUT', by(2))).toEqual([]); // exactly once
    expect(await store().end({ realmId: b.realm.id, sessionId: a2.session.id }, 'LOGOUT', by(2))).toEqual([]); // another realm's id

    const allButOne = await store().end({ realmId: a.realm.id, userId: alice.id, exceptSessionId: a3.session.id }, 'TERMINATED_BY_USER', by(3));
    expect(allButOne.map((e) => e.sessionId)).toEqual([a2.session.id]);
    const realmWide = await store().end({ realmId: a.realm.id }, 'TERMINATED_BY_ADMIN', by(4));
    expect(realmWide.map((e) => e.sessionId).sort()).toEqual([a3.session.id, bobs.session.id].sort());
    expect(await stateOf(a2.session.id)).toMatchObject({ state: 'TERMINATED', terminationReason: 'TERMINATED_BY_USER', terminatedAt: at(3) });
    expect((await stateOf(theirs.session.id))?.state).toBe('ACTIVE');

    const audit = (await auditOf(a.realm.id)).filter((e) => e.type === 'SESSION_TERMINATED');
    expect(audit.map((e) => [e.reason, e.actor, e.ip])).toEqual([
      ['LOGOUT', 'admin:test', '10.0.0.9'],
      ['TERMINATED_BY_USER', 'admin:test', '10.0.0.9'],
      ['TERMINATED_BY_ADMIN', 'admin:test', '10.0.0.9'],
      ['TERMINATED_BY_ADMIN', 'admin:test', '10.0.0.9'],
    ]);
  });
});

describe('SessionStore.expire', () => {
  it('writes down a session that ran out as EXPIRED at its deadline, with its reason; leaves live ones and other realms', async () => {
    const a = await realmWith(2, 10);
    const b = await realmWith(1, 10);
    const idle = await open(a.realm, a.users[0], 0); // idle at 10
    const live = await open(a.realm, a.users[1], 15);
    const theirs = await open(b.realm, b.users[0], 0);
    expect(await store().expire({ realmId: a.realm.id, sessionId: live.session.id }, by(20, 'system'))).toEqual([]);
    const events = await store().expire({ realmId: a.realm.id }, by(20, 'system'));
    expect(events.map((e) => [e.sessionId, e.reason, e.at])).toEqual([[idle.session.id, 'IDLE_TIMEOUT', at(10).toISOString()]]);
    expect(await stateOf(idle.session.id)).toMatchObject({ state: 'EXPIRED', terminationReason: 'IDLE_TIMEOUT', terminatedAt: at(10) });
    expect((await stateOf(theirs.session.id))?.state).toBe('ACTIVE'); // ran out too, but of another realm
  });
});

describe('SessionStore.terminateInReach', () => {
  it('ends a session in the reach and answers it; again, answers it unchanged; out of reach, answers nothing and ends nothing', async () => {
    const a = await realmWith();
    const b = await realmWith();
    const { session } = await open(a.realm, a.users[0]);
    expect(await store().terminateInReach(session.id, { realmId: b.realm.id, userId: null }, 'TERMINATED_BY_ADMIN', by(1))).toBeNull();
    expect(await store().terminateInReach(session.id, { realmId: a.realm.id, userId: 'usr_other' }, 'TERMINATED_BY_USER', by(1))).toBeNull();
    expect((await stateOf(session.id))?.state).toBe('ACTIVE');
    const ended = await store().terminateInReach(session.id, { realmId: a.realm.id, userId: a.users[0].id }, 'LOGOUT', by(2));
    expect(ended?.session).toMatchObject({ id: session.id, state: 'TERMINATED', terminationReason: 'LOGOUT', terminatedAt: at(2) });
    expect(ended?.ended).toMatchObject({ type: 'TERMINATED', sessionId: session.id, reason: 'LOGOUT', at: at(2).toISOString() });
    const again = await store().terminateInReach(session.id, { realmId: null, userId: null }, 'TERMINATED_BY_ADMIN', by(3));
    expect(again).toMatchObject({ session: { state: 'TERMINATED', terminationReason: 'LOGOUT' }, ended: null });
    expect((await auditOf(a.realm.id)).filter((e) => e.type === 'SESSION_TERMINATED')).toHaveLength(1);
  });
});

describe('SessionStore.expireDue', () => {
  it('expires what ran out in every realm at its deadline, reschedules refreshed idle sessions, and leaves live ones', async () => {
    const T = 100_000; // minutes: after every session of the tests before, which the first sweep drains
    while ((await store().expireDue(at(T - 1), 1000)).examined > 0);
    const a = await realmWith(3, 10);
    const b = await realmWith(1, 10);
    const idleA = await open(a.realm, a.users[0], T); // idle at T + 10
    const idleB = await open(b.realm, b.users[0], T);
    const refreshed = await open(a.realm, a.users[1], T);
    await store().rotate({ presentedHash: sha256(refreshed.token), nextHash: sha256(randomUUID()), seed: 's', now: at(T + 8), ip: null }); // idle at T + 18
    const late = await open(a.realm, a.users[2], T + 30); // another user: a login ends its own user's sessions that ran out
    const { events, examined } = await store().expireDue(at(T + 12), 1000);
    expect(events.map((e) => [e.sessionId, e.reason, e.at]).sort()).toEqual(
      [
        [idleA.session.id, 'IDLE_TIMEOUT', at(T + 10).toISOString()],
        [idleB.session.id, 'IDLE_TIMEOUT', at(T + 10).toISOString()],
      ].sort(),
    );
    expect(examined).toBe(3); // the refreshed one was looked at, and rescheduled
    expect((await stateOf(refreshed.session.id))?.state).toBe('ACTIVE');
    expect((await store().expireDue(at(T + 12), 1000)).examined).toBe(0);
    expect((await store().expireDue(at(T + 19), 1000)).events.map((e) => e.sessionId)).toEqual([refreshed.session.id]);
    expect((await stateOf(late.session.id))?.state).toBe('ACTIVE');
    const audit = (await auditOf(b.realm.id)).filter((e) => e.type === 'SESSION_TERMINATED');
    expect(audit.map((e) => [e.session_id, e.actor, e.reason, e.ip])).toEqual([[idleB.session.id, 'system', 'IDLE_TIMEOUT', null]]);
  });
});

describe('SessionStore.pruneEnded', () => {
  it('deletes sessions of its realm that ended before the time given, with their refresh tokens; keeps the rest', async () => {
    const a = await realmWith(1, 10);
    const b = await realmWith(1, 10);
    const old = await open(a.realm, a.users[0], 0);
    const recent = await open(a.realm, a.users[0], 0);
    const active = await open(a.realm, a.users[0], 0);
    const theirs = await open(b.realm, b.users[0], 0);
    await store().end({ realmId: a.realm.id, sessionId: old.session.id }, 'LOGOUT', by(1));
    await store().end({ realmId: a.realm.id, sessionId: recent.session.id }, 'LOGOUT', by(30));
    await store().end({ realmId: b.realm.id, sessionId: theirs.session.id }, 'LOGOUT', by(1));
    expect(await store().pruneEnded(a.realm.id, at(20), 1000)).toBe(1);
    expect(await stateOf(old.session.id)).toBeNull();
    const [{ tokens }] = await sqlRows<{ tokens: string }>(em(), sql`select count(*) as tokens from refresh_token where session_id = ${old.session.id}`);
    expect(Number(tokens)).toBe(0);
    for (const kept of [recent, active, theirs]) expect(await stateOf(kept.session.id)).not.toBeNull();
  });
});

describe('the other stores: another realm is not touched', () => {
  it('UserStore.find reads a user of its realm only', async () => {
    const { UserStore } = await import('../src/user/user-store.js');
    const a = await realmWith();
    const b = await realmWith();
    expect((await new UserStore(em()).find(a.users[0].id, a.realm.id))?.username).toBe(a.users[0].username);
    expect(await new UserStore(em()).find(a.users[0].id, b.realm.id)).toBeNull();
  });

  it("AuditStore.pruneOlderThan deletes a realm's old events (or those of no realm), not another realm's", async () => {
    const { AuditStore } = await import('../src/audit/audit-store.js');
    const a = await realmWith();
    const b = await realmWith();
    // Long before the realms' own events (made at the real time of this run).
    const year = (y: number) => new Date(Date.UTC(y, 0, 1));
    for (const realm of [a.realm, b.realm]) {
      await store().recordFailedLogin({ realmId: realm.id, userId: null, username: unique('x'), ip: null, now: year(2001) });
      await store().recordFailedLogin({ realmId: realm.id, userId: null, username: unique('x'), ip: null, now: year(2003) });
    }
    const failures = async (realmId: string) => (await auditOf(realmId)).filter((e) => e.type === 'LOGIN_FAILED').length;
    expect(await new AuditStore(em()).pruneOlderThan(a.realm.id, year(2002), 1000)).toBe(1);
    expect(await failures(a.realm.id)).toBe(1);
    expect(await failures(b.realm.id)).toBe(2);
    expect(await new AuditStore(em()).pruneOlderThan(null, year(2002), 1000)).toBe(0); // no event of no realm is that old
  });
});

describe('the throttle and admin-key stores', () => {
  it("ThrottleStore counts, blocks, settles and prunes by key: another realm's counters are other keys, untouched", async () => {
    const { ThrottleStore } = await import('../src/auth/throttle-store.js');
    const throttle = new ThrottleStore(em());
    const counters = (realm: string, id = randomUUID()) =>
      [1, 2, 3].map((n) => ({ key: `${realm}-${id}-${n}`, threshold: n === 1 ? 2 : 100, maxBlockSeconds: 60 }));
    const mine = counters('a');
    const theirs = counters('b');
    const now = new Date();
    const windowStart = new Date(now.getTime() - 900_000);
    const charge = (c: typeof mine) => throttle.charge<{ realm: unknown }>(c, now, windowStart, null, sql`${'read alongside'}::text as realm`);
    expect(await charge(mine)).toEqual({
      blockedUntil: null,
      charged: new Set(mine.map((c) => c.key)),
      expected: 3,
      known: false,
      alongside: { realm: 'read alongside' },
    });
    expect((await charge(mine)).blockedUntil).toBeNull(); // the second failure reaches the threshold of 2: blocked from now on
    const blocked = await charge(mine);
    expect(blocked.blockedUntil).toBe(now.getTime() + 1000);
    expect(blocked.charged.size).toBe(0);
    expect(await throttle.blockedUntil([mine[0].key], now)).toBe(now.getTime() + 1000);
    expect(
      await throttle.blockedUntil(
        theirs.map((c) => c.key),
        now,
      ),
    ).toBeNull();
    expect((await charge(theirs)).blockedUntil).toBeNull();
    // A success: the first counter is reset and marks the success (its address is known), the second refunded.
    await throttle.settle({ known: mine[0].key, refunds: [{ key: mine[1].key, threshold: 100 }] }, now);
    expect(await throttle.blockedUntil([mine[0].key], now)).toBeNull();
    const since = new Date(now.getTime() - 1000);
    expect((await throttle.charge([{ ...mine[2], whenKnown: false }], now, windowStart, { key: mine[0].key, since }, null)).known).toBe(true);
    const left = await sqlRows<{ key: string; failures: number }>(
      em(),
      sql`select key, failures from login_throttle where key = any(${[...mine, ...theirs].map((c) => c.key)}::text[]) order by key`,
    );
    expect(left.map((row) => [row.key, row.failures])).toEqual([
      [mine[0].key, 0],
      [mine[1].key, 1],
      [mine[2].key, 2], // not charged from the known address
      [theirs[0].key, 1],
      [theirs[1].key, 1],
      [theirs[2].key, 1],
    ]);
    expect(await throttle.pruneIdle(3600, 90)).toBe(0); // all touched just now
  });

  it('AdminKeyStore finds live keys by hash, keeps the bootstrap key live and of every realm, and tells live ids apart', async () => {
    const { AdminKeyStore } = await import('../src/auth/admin-key-store.js');
    const { createAdminKey, revokeAdminKey } = await import('../src/auth/admin-keys.js');
    const keys = new AdminKeyStore(em());
    const { realm } = await realmWith();
    const limited = await createAdminKey(em(), server.clock, { name: unique('k'), scopes: ['SESSIONS_READ'], realmId: realm.id });
    const revoked = await createAdminKey(em(), server.clock, { name: unique('k') });
    await revokeAdminKey(em(), server.clock, revoked.key.id);
    expect(await keys.findLive(sha256(limited.secret))).toMatchObject({ id: limited.key.id, scopes: ['SESSIONS_READ'], realm_id: realm.id });
    expect(await keys.findLive(sha256(revoked.secret))).toBeNull();
    expect(await keys.liveIds([limited.key.id, revoked.key.id, 'adm_nope'])).toEqual(new Set([limited.key.id]));
    await keys.ensureBootstrap({ id: newId('adm'), keyHash: sha256(limited.secret), scopes: ['REALMS_READ', 'USERS_READ'], now: new Date() });
    expect(await keys.findLive(sha256(limited.secret))).toMatchObject({ id: limited.key.id, scopes: ['REALMS_READ', 'USERS_READ'], realm_id: null });
  });
});

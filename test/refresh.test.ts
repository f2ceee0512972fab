import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { useTestServer, startTestServer, ok, errorCode, type GraphQLResponse, type TestServer } from './helpers/server.js';
import { seedRealm } from './helpers/factories.js';
import {
  LogoutDocument,
  MeDocument,
  RefreshDocument,
  SessionByIdDocument,
  TerminateSessionDocument,
  UpdateRealmDocument,
  VerifyLoginTokenDocument,
} from './generated/graphql.js';

const server = useTestServer({ resetClock: true });

function refresh(target: TestServer, refreshToken: string) {
  return target.gql(RefreshDocument, { refreshToken });
}

function expectInvalidRefresh(response: GraphQLResponse<unknown>) {
  expect(errorCode(response), JSON.stringify(response)).toBe('INVALID_REFRESH_TOKEN');
  expect(response.errors).toHaveLength(1);
  expect(response.data ?? null).toBeNull();
}

async function sessionAsAdmin(target: TestServer, id: string) {
  return ok(await target.gql(SessionByIdDocument, { id }, target.adminKey)).session!;
}

const claimsOf = (token: string) => jwt.decode(token, { json: true })!;

describe('refresh', () => {
  it('rotates the refresh token, issues a new login token and moves lastActiveAt; the session keeps its id', async () => {
    const realm = await seedRealm(server, { accessTokenSeconds: 60 });
    const user = await realm.createUser();
    const login = await user.login({ app: 'refresh-test' });
    server.clock.advance(30_000);

    const refreshed = ok(await refresh(server, login.refreshToken!)).refresh;
    expect(refreshed.refreshToken).toEqual(expect.any(String));
    expect(refreshed.refreshToken).not.toBe(login.refreshToken);
    expect(refreshed.refreshToken!.length).toBeGreaterThanOrEqual(43);
    expect(refreshed.accessToken).not.toBe(login.accessToken);

    const before = claimsOf(login.accessToken);
    const after = claimsOf(refreshed.accessToken);
    expect(after.sid).toBe(login.session!.id);
    expect(after.sub).toBe(user.id);
    expect(after.jti).not.toBe(before.jti);
    expect(after.iat! - before.iat!).toBeGreaterThanOrEqual(29);
    expect(after.exp).toBe(after.iat! + 60);

    expect(refreshed.session!.id).toBe(login.session!.id);
    expect(refreshed.session!.state).toBe('ACTIVE');
    expect(refreshed.session!.createdAt).toBe(login.session!.createdAt);
    expect(refreshed.session!.app).toBe('refresh-test');
    const moved = new Date(refreshed.session!.lastActiveAt).getTime() - new Date(login.session!.lastActiveAt).getTime();
    expect(moved).toBeGreaterThanOrEqual(30_000);
    expect(new Date(refreshed.session!.idleExpiresAt!).getTime()).toBe(new Date(refreshed.session!.lastActiveAt).getTime() + 1800_000);
    expect(refreshed.session!.expiresAt).toBe(login.session!.expiresAt);

    // The stored session agrees, and the new token works.
    const stored = await sessionAsAdmin(server, login.session!.id);
    expect(stored.lastActiveAt).toBe(refreshed.session!.lastActiveAt);
    const me = ok(await server.gql(MeDocument, {}, refreshed.accessToken)).me!;
    expect(me.session!.id).toBe(login.session!.id);

    // The new refresh token rotates again.
    server.clock.advance(15_000);
    const third = ok(await refresh(server, refreshed.refreshToken!)).refresh;
    expect(third.refreshToken).not.toBe(refreshed.refreshToken);
    expect(third.refreshToken).not.toBe(login.refreshToken);
  });

  it('works while the client still sends its expired (or ended) login token as Authorization', async () => {
    const realm = await seedRealm(server, { accessTokenSeconds: 30 });
    const user = await realm.createUser();
    const login = await user.login();
    server.clock.advance(120_000);
    expect(errorCode(await server.gql(MeDocument, {}, login.accessToken))).toBe('UNAUTHENTICATED');
    // An HTTP client that attaches the bearer to every request: the refresh must still succeed in full,
    // or the client loses the rotated token and its next attempt looks like theft.
    const response = await server.gql(RefreshDocument, { refreshToken: login.refreshToken! }, login.accessToken);
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    const refreshed = response.data!.refresh;
    expect(refreshed.session).toMatchObject({ id: login.session!.id, state: 'ACTIVE', current: false });
    ok(await server.gql(MeDocument, {}, refreshed.accessToken));
    // Same with a bearer of a session that has ended.
    const other = await user.login();
    ok(await server.gql(LogoutDocument, {}, other.accessToken));
    const again = await server.gql(RefreshDocument, { refreshToken: refreshed.refreshToken! }, other.accessToken);
    expect(again.errors, JSON.stringify(again.errors)).toBeUndefined();
    expect(again.data!.refresh.session!.id).toBe(login.session!.id);
  });

  it('refuses unknown and malformed refresh tokens', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const login = await user.login();
    for (const token of [
      '',
      'x',
      'A'.repeat(43),
      login.refreshToken!.slice(0, -1),
      `${login.refreshToken}x`,
      'r'.repeat(5000),
      login.accessToken,
      `${login.refreshToken}\u0000`,
      '\u0000',
    ]) {
      expectInvalidRefresh(await refresh(server, token));
    }
    // None of that hurt the real session.
    ok(await refresh(server, login.refreshToken!));
  });

  it('refuses the refresh token of a terminated session', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const login = await user.login();
    expect(ok(await server.gql(LogoutDocument, {}, login.accessToken)).logout).toBe(true);
    expectInvalidRefresh(await refresh(server, login.refreshToken!));
    const session = await sessionAsAdmin(server, login.session!.id);
    expect(session).toMatchObject({ state: 'TERMINATED', terminationReason: 'LOGOUT' });
  });

  it('refuses a refresh past the session expiry; the session then reads EXPIRED (EXPIRED)', async () => {
    const realm = await seedRealm(server, { sessionMinutes: 1, accessTokenSeconds: 30, idleTimeoutSeconds: null });
    const user = await realm.createUser();
    const login = await user.login();
    expect(login.session!.idleExpiresAt).toBeNull();
    server.clock.advance(40_000);
    const midway = ok(await refresh(server, login.refreshToken!)).refresh;
    server.clock.advance(21_000);

    // Past expiresAt it already reads EXPIRED, before anyone tries to use it.
    expect(await sessionAsAdmin(server, login.session!.id)).toMatchObject({ state: 'EXPIRED', terminationReason: 'EXPIRED' });
    expectInvalidRefresh(await refresh(server, midway.refreshToken!));
    const session = await sessionAsAdmin(server, login.session!.id);
    expect(session).toMatchObject({ state: 'EXPIRED', terminationReason: 'EXPIRED' });
    expect(session.terminatedAt).not.toBeNull();
    expect(errorCode(await server.gql(MeDocument, {}, midway.accessToken))).toBe('UNAUTHENTICATED');
    // And it stays refused.
    expectInvalidRefresh(await refresh(server, midway.refreshToken!));
  });

  it('the sweeper ends a session idle since its last refresh, not at the idle deadline of its login; refreshes leave its sweep schedule alone', async () => {
    const realm = await seedRealm(server, { idleTimeoutSeconds: 60, accessTokenSeconds: 30 });
    const user = await realm.createUser();
    const login = await user.login();
    const id = login.session!.id;
    const loginIdleDeadline = new Date(login.session!.idleExpiresAt!);
    const columns = async () => {
      const [row] = await server.app.deps.orm.em
        .fork()
        .getConnection()
        .execute<{ idle_expires_at: Date; idle_sweep_at: Date }[]>('select idle_expires_at, idle_sweep_at from session where id = ?', [id]);
      return { idleExpiresAt: new Date(row.idle_expires_at), idleSweepAt: new Date(row.idle_sweep_at) };
    };
    expect(await columns()).toEqual({ idleExpiresAt: loginIdleDeadline, idleSweepAt: loginIdleDeadline });

    server.clock.advance(50_000);
    const refreshed = ok(await refresh(server, login.refreshToken!)).refresh;
    const refreshedIdleDeadline = new Date(refreshed.session!.idleExpiresAt!);
    expect(refreshedIdleDeadline.getTime()).toBeGreaterThanOrEqual(loginIdleDeadline.getTime() + 50_000);
    // The refresh moved the idle expiry only: no indexed column, so PostgreSQL can update in place.
    expect(await columns()).toEqual({ idleExpiresAt: refreshedIdleDeadline, idleSweepAt: loginIdleDeadline });

    // Past the login's idle deadline, within the refreshed one: the sweep looks, and reschedules.
    server.clock.advance(20_000);
    await server.app.sweeper.sweepNow();
    expect(await sessionAsAdmin(server, id)).toMatchObject({ state: 'ACTIVE' });
    expect(await columns()).toEqual({ idleExpiresAt: refreshedIdleDeadline, idleSweepAt: refreshedIdleDeadline });

    // Past the refreshed idle deadline: ended, at that deadline.
    server.clock.advance(41_000);
    await server.app.sweeper.sweepNow();
    const ended = await sessionAsAdmin(server, id);
    expect(ended).toMatchObject({ state: 'EXPIRED', terminationReason: 'IDLE_TIMEOUT' });
    expect(new Date(ended.terminatedAt!).getTime()).toBe(refreshedIdleDeadline.getTime());
  });

  it('refuses a refresh past the idle timeout; the session then reads EXPIRED (IDLE_TIMEOUT)', async () => {
    const realm = await seedRealm(server, { idleTimeoutSeconds: 60, accessTokenSeconds: 30 });
    const user = await realm.createUser();
    const login = await user.login();
    // Refreshing in time keeps it alive well past one idle period…
    let current = login.refreshToken!;
    for (let i = 0; i < 3; i++) {
      server.clock.advance(50_000);
      current = ok(await refresh(server, current)).refresh.refreshToken!;
    }
    // …idling longer than the timeout ends it.
    server.clock.advance(61_000);
    expect(await sessionAsAdmin(server, login.session!.id)).toMatchObject({ state: 'EXPIRED', terminationReason: 'IDLE_TIMEOUT' });
    expectInvalidRefresh(await refresh(server, current));
    const session = await sessionAsAdmin(server, login.session!.id);
    expect(session).toMatchObject({ state: 'EXPIRED', terminationReason: 'IDLE_TIMEOUT' });
  });

  it('an expired session reads the same before and after anything writes its end down', async () => {
    const realm = await seedRealm(server, { sessionMinutes: 2, idleTimeoutSeconds: 60, accessTokenSeconds: 30 });
    const user = await realm.createUser();
    const idle = await user.login();
    server.clock.advance(1_000);
    const swept = await user.login();
    server.clock.advance(1_000);
    const absolute = await user.login();
    // Keep `absolute` refreshed so that it reaches its absolute expiry first.
    let token = absolute.refreshToken!;
    for (let i = 0; i < 3; i++) {
      server.clock.advance(35_000);
      token = ok(await refresh(server, token)).refresh.refreshToken!;
    }
    server.clock.advance(20_000); // t = 127 s: past every absolute expiry; idle went first for the first two

    const idleExpected = { state: 'EXPIRED', terminationReason: 'IDLE_TIMEOUT', terminatedAt: idle.session!.idleExpiresAt };
    const sweptExpected = { state: 'EXPIRED', terminationReason: 'IDLE_TIMEOUT', terminatedAt: swept.session!.idleExpiresAt };
    const absoluteExpected = { state: 'EXPIRED', terminationReason: 'EXPIRED', terminatedAt: absolute.session!.expiresAt };
    // Nothing written yet: the state is computed.
    expect(await sessionAsAdmin(server, idle.session!.id)).toMatchObject(idleExpected);
    expect(await sessionAsAdmin(server, swept.session!.id)).toMatchObject(sweptExpected);
    expect(await sessionAsAdmin(server, absolute.session!.id)).toMatchObject(absoluteExpected);

    // Written by a refresh attempt, by the sweeper: the same answers, later.
    server.clock.advance(30_000);
    expectInvalidRefresh(await refresh(server, idle.refreshToken!));
    expectInvalidRefresh(await refresh(server, token));
    await server.app.sweeper.sweepNow();
    expect(await sessionAsAdmin(server, idle.session!.id)).toMatchObject(idleExpected);
    expect(await sessionAsAdmin(server, swept.session!.id)).toMatchObject(sweptExpected);
    expect(await sessionAsAdmin(server, absolute.session!.id)).toMatchObject(absoluteExpected);
  });

  it('never issues a login token that outlives its session', async () => {
    const realm = await seedRealm(server, { sessionMinutes: 3, accessTokenSeconds: 100, idleTimeoutSeconds: null });
    const user = await realm.createUser();
    const login = await user.login();
    const sessionEnd = Math.floor(new Date(login.session!.expiresAt).getTime() / 1000);
    let token = login.refreshToken!;
    const exps: number[] = [claimsOf(login.accessToken).exp!];
    for (let elapsed = 0; elapsed < 170; elapsed += 25) {
      server.clock.advance(25_000);
      const result = ok(await refresh(server, token)).refresh;
      token = result.refreshToken!;
      const { exp, iat } = claimsOf(result.accessToken);
      expect(exp).toBeLessThanOrEqual(sessionEnd);
      expect(exp).toBe(Math.min(iat! + 100, sessionEnd));
      expect(new Date(result.accessTokenExpiresAt!).getTime()).toBe(exp! * 1000);
      exps.push(exp!);
    }
    expect(exps.at(-1)).toBe(sessionEnd);
  });

  it('applies realm setting changes to new sessions only', async () => {
    const realm = await seedRealm(server, { accessTokenSeconds: 300 });
    const user = await realm.createUser();
    const login = await user.login();
    ok(await server.gql(UpdateRealmDocument, { id: realm.id, input: { accessTokenSeconds: 60, idleTimeoutSeconds: 120 } }, server.adminKey));
    const refreshed = ok(await refresh(server, login.refreshToken!)).refresh;
    const claims = claimsOf(refreshed.accessToken);
    expect(claims.exp! - claims.iat!).toBe(300);
    expect(refreshed.session!.idleExpiresAt).not.toBeNull();
    expect(new Date(refreshed.session!.idleExpiresAt!).getTime() - new Date(refreshed.session!.lastActiveAt).getTime()).toBe(1800_000);

    const fresh = await user.login();
    const freshClaims = claimsOf(fresh.accessToken);
    expect(freshClaims.exp! - freshClaims.iat!).toBe(60);
  });
});

describe('concurrent refreshes and reuse detection', () => {
  it('20 parallel refreshes with one token all succeed with the same new token; the session stays ACTIVE', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const login = await user.login();

    const results = await Promise.all(Array.from({ length: 20 }, () => refresh(server, login.refreshToken!)));
    for (const result of results) expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    const next = new Set(results.map((result) => result.data!.refresh.refreshToken));
    expect(next.size).toBe(1);
    const [nextToken] = [...next];
    expect(nextToken).not.toBe(login.refreshToken);
    for (const result of results) expect(result.data!.refresh.session!.id).toBe(login.session!.id);

    const session = await sessionAsAdmin(server, login.session!.id);
    expect(session.state).toBe('ACTIVE');
    // Every one of the 20 login tokens works.
    for (const result of results.slice(0, 3)) ok(await server.gql(MeDocument, {}, result.data!.refresh.accessToken));

    // The one new token carries on, and rotates again.
    const after = ok(await refresh(server, nextToken!)).refresh;
    expect(after.refreshToken).not.toBe(nextToken);
    expect(after.session!.state).toBe('ACTIVE');
  });

  it('refreshes racing a termination never outlive it: what they hand out dies with the session', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    for (let round = 0; round < 5; round++) {
      const login = await user.login();
      // A chain of refreshes (each with the token the previous one returned) and a termination in
      // the middle of it: every rotation either commits before the termination or finds nothing.
      const chain = (async () => {
        const handedOut: { accessToken: string; refreshToken: string }[] = [];
        let token = login.refreshToken!;
        for (let i = 0; i < 6; i++) {
          const result = await refresh(server, token);
          if (result.errors) break;
          token = result.data!.refresh.refreshToken!;
          handedOut.push({ accessToken: result.data!.refresh.accessToken, refreshToken: token });
        }
        return handedOut;
      })();
      const parallel = Promise.all(Array.from({ length: 4 }, () => refresh(server, login.refreshToken!)));
      await new Promise((resolve) => setTimeout(resolve, round * 3));
      ok(await server.gql(TerminateSessionDocument, { id: login.session!.id }, server.adminKey));
      const handedOut = [
        ...(await chain),
        ...(await parallel).flatMap((r) => (r.data ? [{ accessToken: r.data.refresh.accessToken, refreshToken: r.data.refresh.refreshToken! }] : [])),
      ];

      expect((await sessionAsAdmin(server, login.session!.id)).state).toBe('TERMINATED');
      for (const { accessToken, refreshToken } of handedOut) {
        expectInvalidRefresh(await refresh(server, refreshToken));
        const check = ok(await server.gql(VerifyLoginTokenDocument, { token: accessToken })).verifyToken;
        expect(check).toMatchObject({ valid: false, reason: 'SESSION_NOT_ACTIVE' });
      }
    }
  });

  it('the same token again inside the grace window returns the same successor', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const login = await user.login();
    const first = ok(await refresh(server, login.refreshToken!)).refresh;
    server.clock.advance(9_000);
    const second = ok(await refresh(server, login.refreshToken!)).refresh;
    expect(second.refreshToken).toBe(first.refreshToken);
    expect(second.session!.state).toBe('ACTIVE');
    ok(await refresh(server, first.refreshToken!));
  });

  it('inside the grace window only the last rotated token replays: R1 after R1 → R2 → R3 is reuse (REFRESH_TOKEN_REUSED)', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const login = await user.login();
    const second = ok(await refresh(server, login.refreshToken!)).refresh;
    const third = ok(await refresh(server, second.refreshToken!)).refresh;
    server.clock.advance(2_000);
    // R2 was just rotated: the racing caller still gets R3.
    expect(ok(await refresh(server, second.refreshToken!)).refresh.refreshToken).toBe(third.refreshToken);
    // R1 would hand out R2, already spent: a replay of an older token.
    expectInvalidRefresh(await refresh(server, login.refreshToken!));
    expect(await sessionAsAdmin(server, login.session!.id)).toMatchObject({ state: 'TERMINATED', terminationReason: 'REFRESH_TOKEN_REUSED' });
    expectInvalidRefresh(await refresh(server, third.refreshToken!));
  });

  it('a rotated token presented after the grace window ends the session (REFRESH_TOKEN_REUSED)', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const login = await user.login();
    const rotated = ok(await refresh(server, login.refreshToken!)).refresh;
    server.clock.advance(11_000);

    // The thief (or the victim: we cannot tell) presents the spent token.
    expectInvalidRefresh(await refresh(server, login.refreshToken!));
    const session = await sessionAsAdmin(server, login.session!.id);
    expect(session).toMatchObject({ state: 'TERMINATED', terminationReason: 'REFRESH_TOKEN_REUSED' });
    expect(session.terminatedAt).not.toBeNull();

    // Nothing of the session works any more: the current refresh token, and every login token.
    expectInvalidRefresh(await refresh(server, rotated.refreshToken!));
    expect(errorCode(await server.gql(MeDocument, {}, rotated.accessToken))).toBe('UNAUTHENTICATED');
    expect(errorCode(await server.gql(MeDocument, {}, login.accessToken))).toBe('UNAUTHENTICATED');
    const verification = ok(await server.gql(VerifyLoginTokenDocument, { token: rotated.accessToken })).verifyToken;
    expect(verification).toMatchObject({ valid: false, reason: 'SESSION_NOT_ACTIVE' });

    // Other sessions of the same user are untouched.
    const other = await user.login();
    ok(await refresh(server, other.refreshToken!));
  });

  it('an older token of the chain, replayed after its grace window, ends the session too', async () => {
    const realm = await seedRealm(server);
    const user = await realm.createUser();
    const login = await user.login();
    server.clock.advance(20_000);
    const second = ok(await refresh(server, login.refreshToken!)).refresh;
    server.clock.advance(20_000);
    const third = ok(await refresh(server, second.refreshToken!)).refresh;
    server.clock.advance(20_000);
    expectInvalidRefresh(await refresh(server, second.refreshToken!));
    expect(await sessionAsAdmin(server, login.session!.id)).toMatchObject({ state: 'TERMINATED', terminationReason: 'REFRESH_TOKEN_REUSED' });
    expectInvalidRefresh(await refresh(server, third.refreshToken!));
  });
});

describe('REFRESH_GRACE_SECONDS', () => {
  it('is configurable: 60 s of grace tolerates a replay after 30 s', async () => {
    const lenient = await startTestServer({ REFRESH_GRACE_SECONDS: '60' });
    try {
      const realm = await seedRealm(lenient);
      const user = await realm.createUser();
      const login = await user.login();
      const first = ok(await refresh(lenient, login.refreshToken!)).refresh;
      lenient.clock.advance(30_000);
      const replay = ok(await refresh(lenient, login.refreshToken!)).refresh;
      expect(replay.refreshToken).toBe(first.refreshToken);
      lenient.clock.advance(31_000);
      expectInvalidRefresh(await refresh(lenient, login.refreshToken!));
      expect(await sessionAsAdmin(lenient, login.session!.id)).toMatchObject({ state: 'TERMINATED', terminationReason: 'REFRESH_TOKEN_REUSED' });
    } finally {
      await lenient.close();
    }
  });

  it('is configurable: 0 s of grace treats any replay as theft', async () => {
    const strict = await startTestServer({ REFRESH_GRACE_SECONDS: '0' });
    try {
      const realm = await seedRealm(strict);
      const user = await realm.createUser();
      const login = await user.login();
      ok(await refresh(strict, login.refreshToken!));
      strict.clock.advance(1_000);
      expectInvalidRefresh(await refresh(strict, login.refreshToken!));
      expect(await sessionAsAdmin(strict, login.session!.id)).toMatchObject({ state: 'TERMINATED', terminationReason: 'REFRESH_TOKEN_REUSED' });
    } finally {
      await strict.close();
    }
  });

  it('a bad value stops the start with a message naming the variable', async () => {
    await expect(startTestServer({ REFRESH_GRACE_SECONDS: 'ten' })).rejects.toThrow(/REFRESH_GRACE_SECONDS/);
  });
});

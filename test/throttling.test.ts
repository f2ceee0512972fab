import argon2 from 'argon2';
import { availableParallelism } from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, errorCode, type GraphQLResponse, type TestServer } from './helpers/server.js';
import { DEFAULT_PASSWORD, seedRealm, unique } from './helpers/factories.js';
import { sha256 } from '../src/auth/opaque-tokens.js';

const throttleKey = (raw: string) => sha256(raw);

// Login throttling and the argon2 budget (docs/security.md#password-guessing-and-enumeration):
// repeated failures are refused with RATE_LIMITED before any hashing, per account+IP, per account
// and per realm+IP; the client's address comes from X-Forwarded-For only when TRUST_PROXY says so;
// an unknown user costs the same time as a wrong password; a burst of logins cannot queue argon2
// work without bound.

const LOGIN = /* GraphQL */ `
  mutation Login($input: LoginInput!) {
    login(input: $input) {
      accessToken
      refreshToken
      session {
        id
        ip
      }
      user {
        id
      }
    }
  }
`;

type LoginData = { login: { accessToken: string; refreshToken: string | null; session: { id: string; ip: string | null } | null; user: { id: string } } };

let server: TestServer; // TRUST_PROXY off (default): the socket address is the client's address
let proxied: TestServer; // TRUST_PROXY=true: one proxy hop in front of us
beforeAll(async () => {
  [server, proxied] = await Promise.all([startTestServer(), startTestServer({ TRUST_PROXY: 'true' })]);
});
afterAll(async () => {
  await Promise.all([server?.close(), proxied?.close()]);
});

let verifies: ReturnType<typeof vi.spyOn> | null = null;
/** Count argon2 verifies from here on (the real function still runs). */
function countVerifies(): { count(): number } {
  verifies = vi.spyOn(argon2, 'verify');
  const spy = verifies;
  return { count: () => spy.mock.calls.length };
}
afterEach(() => {
  verifies?.mockRestore();
  verifies = null;
});

async function login(target: TestServer, realmId: string, username: string, password: string, forwardedFor?: string) {
  const started = performance.now();
  const response = (await target.gql(
    LOGIN,
    { input: { realmId, username, password } },
    null,
    forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
  )) as GraphQLResponse<LoginData>;
  return { response, ms: performance.now() - started };
}

function expectCode(response: GraphQLResponse<unknown>, code: string) {
  expect(errorCode(response), JSON.stringify(response)).toBe(code);
  expect(response.data ?? null).toBeNull();
}

function retryAfterOf(response: GraphQLResponse<unknown>): number {
  expectCode(response, 'RATE_LIMITED');
  const retryAfter = response.errors![0].extensions!.retryAfter;
  expect(Number.isInteger(retryAfter), `retryAfter ${retryAfter}`).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  return retryAfter as number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function failTimes(target: TestServer, realmId: string, username: string, times: number, forwardedFor?: (i: number) => string) {
  for (let i = 0; i < times; i++) {
    const { response } = await login(target, realmId, username, 'wrong password!', forwardedFor?.(i));
    expectCode(response, 'INVALID_CREDENTIALS');
  }
}

describe('one account from one address', () => {
  it('is refused with RATE_LIMITED and retryAfter after 5 failures, even with the right password, before argon2 runs', async () => {
    const realm = await seedRealm(server);
    const alice = await realm.createUser();

    await failTimes(server, realm.id, alice.username, 5);
    const verifyCount = countVerifies();
    // The sixth attempt carries the right password and is still refused.
    const { response } = await login(server, realm.id, alice.username, DEFAULT_PASSWORD);
    retryAfterOf(response);
    expect(verifyCount.count(), 'argon2 verify ran for a throttled attempt').toBe(0);
    // Same username with other spelling is the same account.
    const { response: shouting } = await login(server, realm.id, `  ${alice.username.toUpperCase()} `, DEFAULT_PASSWORD);
    expectCode(shouting, 'RATE_LIMITED');
    expect(verifyCount.count()).toBe(0);
  });

  it('backs off exponentially, answers throttled attempts without hashing, and lets the owner in once the block runs out', async () => {
    const realm = await seedRealm(server);
    const bob = await realm.createUser();
    await failTimes(server, realm.id, bob.username, 5);

    // Each further failure (made once the block ran out) doubles the block: 1, 2, 4, 8, 16 … s.
    const blocks: number[] = [];
    for (let round = 0; round < 6; round++) {
      const { response } = await login(server, realm.id, bob.username, DEFAULT_PASSWORD);
      const retryAfter = retryAfterOf(response);
      blocks.push(retryAfter);
      server.clock.advance(retryAfter * 1000 + 100);
      if (round < 5) await failTimes(server, realm.id, bob.username, 1);
    }
    for (let i = 1; i < blocks.length; i++) expect(blocks[i], `blocks ${blocks}`).toBeGreaterThanOrEqual(blocks[i - 1] * 2 - 1);
    expect(blocks.at(-1)).toBeGreaterThanOrEqual(16);

    // One more failure: now the block is long enough to time a series of throttled attempts,
    // interleaved with real failures (unknown usernames: one argon2 verify each) as the yardstick.
    await failTimes(server, realm.id, bob.username, 1);
    const verifyCount = countVerifies();
    const throttled: number[] = [];
    const hashed: number[] = [];
    for (let i = 0; i < 10; i++) {
      const { response, ms } = await login(server, realm.id, bob.username, i % 2 ? DEFAULT_PASSWORD : 'another guess');
      expectCode(response, 'RATE_LIMITED');
      throttled.push(ms);
      const real = await login(server, realm.id, unique('nobody'), 'another guess');
      expectCode(real.response, 'INVALID_CREDENTIALS');
      hashed.push(real.ms);
    }
    expect(verifyCount.count(), 'argon2 verify ran for throttled attempts').toBe(10);
    // An argon2 verify alone costs ~25 ms on an idle machine; a throttled answer is one indexed
    // lookup. Compared with attempts that hash, measured at the same time, so machine load cancels.
    console.log(`throttled login: median ${median(throttled).toFixed(1)} ms; hashing login: median ${median(hashed).toFixed(1)} ms`);
    expect(median(throttled)).toBeLessThan(median(hashed) / 2);

    // The block runs out: the owner logs in, and that clears the account's counters.
    const { response: refused } = await login(server, realm.id, bob.username, DEFAULT_PASSWORD);
    server.clock.advance(retryAfterOf(refused) * 1000 + 100);
    const { response: allowed } = await login(server, realm.id, bob.username, DEFAULT_PASSWORD);
    expect(allowed.errors, JSON.stringify(allowed.errors)).toBeUndefined();
    expect(allowed.data!.login.user.id).toBe(bob.id);
    // Counters were reset by the success: four new failures do not block.
    await failTimes(server, realm.id, bob.username, 4);
    const { response: again } = await login(server, realm.id, bob.username, DEFAULT_PASSWORD);
    expect(again.errors).toBeUndefined();
  });

  it('cannot be outrun by sending the guesses at once: 30 concurrent attempts get 5 password checks', async () => {
    const realm = await seedRealm(server);
    const judy = await realm.createUser();
    const verifyCount = countVerifies();
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 30 }, () => login(server, realm.id, judy.username, 'wrong password!')));
    const elapsedSeconds = (performance.now() - started) / 1000;
    const codes = answers.map(({ response }) => errorCode(response));
    const checked = codes.filter((code) => code === 'INVALID_CREDENTIALS').length;
    expect(
      codes.filter((code) => code !== 'INVALID_CREDENTIALS' && code !== 'RATE_LIMITED'),
      JSON.stringify(codes),
    ).toEqual([]);
    // Five guesses, then the 1 s block; should the burst outlast a block (a loaded machine), one
    // more guess per block that ran out (1 s, 2 s, 4 s …) is what the backoff allows.
    const allowed = 5 + (elapsedSeconds > 1 ? Math.floor(Math.log2(elapsedSeconds)) + 1 : 0);
    console.log(`30 concurrent guesses in ${elapsedSeconds.toFixed(2)} s: ${checked} checked`);
    expect(checked, JSON.stringify(codes)).toBeGreaterThanOrEqual(5);
    expect(checked, JSON.stringify(codes)).toBeLessThanOrEqual(allowed);
    expect(verifyCount.count()).toBe(checked);
    // The counter saw exactly the attempts that were checked, and it is (or was) blocking.
    const [row] = await server.app.deps.orm.em
      .fork()
      .execute<{ failures: number; blocked_until: Date | null }[]>(`select failures, blocked_until from login_throttle where key = ?`, [
        throttleKey(`account-ip:${realm.id}:${judy.username.toLowerCase()}:127.0.0.1`),
      ]);
    expect(row.failures).toBe(checked);
    expect(row.blocked_until).not.toBeNull();
  });

  it('lets the owner log in from two tabs at once, and successes are not counted against the address', async () => {
    const realm = await seedRealm(server);
    const kim = await realm.createUser();
    const both = await Promise.all([login(server, realm.id, kim.username, DEFAULT_PASSWORD), login(server, realm.id, kim.username, DEFAULT_PASSWORD)]);
    for (const { response } of both) expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    // Ten successful logins leave no counter on the account and only refunded ones on the address.
    for (let i = 0; i < 8; i++) expect((await login(server, realm.id, kim.username, DEFAULT_PASSWORD)).response.errors).toBeUndefined();
    const rows = await server.app.deps.orm.em
      .fork()
      .execute<{ failures: number }[]>(`select failures from login_throttle where key = ?`, [throttleKey(`ip:${realm.id}:127.0.0.1`)]);
    expect(rows.map((row) => row.failures)).toEqual([0]);
  });

  it('forgets failures older than the 15-minute window', async () => {
    const realm = await seedRealm(server);
    const carol = await realm.createUser();
    await failTimes(server, realm.id, carol.username, 4);
    server.clock.advance(16 * 60_000);
    await failTimes(server, realm.id, carol.username, 4);
    const { response } = await login(server, realm.id, carol.username, DEFAULT_PASSWORD);
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  });

  it('counts per realm: failures in one realm do not throttle the same username in another', async () => {
    const [realmA, realmB] = await Promise.all([seedRealm(server), seedRealm(server)]);
    const username = unique('shared');
    await Promise.all([realmA.createUser({ username }), realmB.createUser({ username })]);
    await failTimes(server, realmA.id, username, 5);
    expectCode((await login(server, realmA.id, username, DEFAULT_PASSWORD)).response, 'RATE_LIMITED');
    const { response } = await login(server, realmB.id, username, DEFAULT_PASSWORD);
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    expect(response.data!.login.accessToken).toBeTruthy();
  });

  it('cannot be reset by a forged X-Forwarded-For when TRUST_PROXY is off', async () => {
    const realm = await seedRealm(server);
    const dave = await realm.createUser();
    await failTimes(server, realm.id, dave.username, 5, (i) => `198.51.100.${i + 1}`);
    const { response } = await login(server, realm.id, dave.username, DEFAULT_PASSWORD, '198.51.100.77');
    expectCode(response, 'RATE_LIMITED');
    // And the forged header is not what gets recorded as the session's address either.
    const other = await realm.createUser();
    const { response: ok } = await login(server, realm.id, other.username, DEFAULT_PASSWORD, '198.51.100.99');
    expect(ok.data!.login.session!.ip).toBe('127.0.0.1');
  });
});

describe('behind a trusted proxy (TRUST_PROXY=true)', () => {
  it('throttles per address: another address of the same account is not blocked by the first one failing', async () => {
    const realm = await seedRealm(proxied);
    const erin = await realm.createUser();
    await failTimes(proxied, realm.id, erin.username, 5, () => '203.0.113.10');
    expectCode((await login(proxied, realm.id, erin.username, DEFAULT_PASSWORD, '203.0.113.10')).response, 'RATE_LIMITED');

    const { response } = await login(proxied, realm.id, erin.username, DEFAULT_PASSWORD, '203.0.113.20');
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    expect(response.data!.login.session!.ip).toBe('203.0.113.20');
    // The other address's success does not lift the first address's block.
    expectCode((await login(proxied, realm.id, erin.username, DEFAULT_PASSWORD, '203.0.113.10')).response, 'RATE_LIMITED');
  });

  it('takes only the entry the proxy appended: client-chosen entries further left do not reset the counter', async () => {
    const realm = await seedRealm(proxied);
    const frank = await realm.createUser();
    await failTimes(proxied, realm.id, frank.username, 5, (i) => `10.9.${i}.1, 203.0.113.30`);
    const { response } = await login(proxied, realm.id, frank.username, DEFAULT_PASSWORD, '10.9.99.1, 203.0.113.30');
    expectCode(response, 'RATE_LIMITED');
  });

  it('counts an IPv6 client per /64, and strips a port the proxy appended', async () => {
    const realm = await seedRealm(proxied);
    const [lena, mo] = await Promise.all([realm.createUser(), realm.createUser()]);
    // Fresh addresses of one /64 are the same client.
    await failTimes(proxied, realm.id, lena.username, 5, (i) => `2001:db8:1:2::a${i}`);
    expectCode((await login(proxied, realm.id, lena.username, DEFAULT_PASSWORD, '2001:db8:1:2:ffff:ffff:ffff:1')).response, 'RATE_LIMITED');
    const elsewhere = await login(proxied, realm.id, lena.username, DEFAULT_PASSWORD, '2001:db8:1:3::1');
    expect(elsewhere.response.errors, JSON.stringify(elsewhere.response.errors)).toBeUndefined();
    expect(elsewhere.response.data!.login.session!.ip).toBe('2001:db8:1:3::1');

    // "203.0.113.44:51234": a new source port per connection is still one address.
    await failTimes(proxied, realm.id, mo.username, 5, (i) => `203.0.113.44:${50000 + i}`);
    expectCode((await login(proxied, realm.id, mo.username, DEFAULT_PASSWORD, '203.0.113.44:60000')).response, 'RATE_LIMITED');
    expectCode((await login(proxied, realm.id, mo.username, DEFAULT_PASSWORD, '[::ffff:203.0.113.44]:60001')).response, 'RATE_LIMITED');
    const other = await login(proxied, realm.id, mo.username, DEFAULT_PASSWORD, '203.0.113.45:60000');
    expect(other.response.errors, JSON.stringify(other.response.errors)).toBeUndefined();
    expect(other.response.data!.login.session!.ip).toBe('203.0.113.45');
  });

  it("ignores a forwarded entry that is not an address and uses the connection's", async () => {
    const realm = await seedRealm(proxied);
    const nia = await realm.createUser();
    const { response } = await login(proxied, realm.id, nia.username, DEFAULT_PASSWORD, 'unknown');
    expect(response.data!.login.session!.ip).toBe('127.0.0.1');
  });

  it('throttles one account sprayed from many addresses after 20 failures', async () => {
    const realm = await seedRealm(proxied);
    const grace = await realm.createUser();
    await failTimes(proxied, realm.id, grace.username, 20, (i) => `192.0.2.${i + 1}`);
    const verifyCount = countVerifies();
    const { response } = await login(proxied, realm.id, grace.username, DEFAULT_PASSWORD, '192.0.2.200');
    const retryAfter = retryAfterOf(response);
    expect(verifyCount.count()).toBe(0);
    // The per-account block is short (it must never hold the owner out for long).
    expect(retryAfter).toBeLessThanOrEqual(60);
    proxied.clock.advance(retryAfter * 1000 + 100);
    const { response: owner } = await login(proxied, realm.id, grace.username, DEFAULT_PASSWORD, '192.0.2.201');
    expect(owner.errors, JSON.stringify(owner.errors)).toBeUndefined();
  });

  it('throttles one address trying many accounts of a realm after 100 failures, and only in that realm', async () => {
    const [realm, otherRealm] = await Promise.all([seedRealm(proxied), seedRealm(proxied)]);
    const [heidi, ivan] = await Promise.all([realm.createUser(), otherRealm.createUser()]);
    const stuffer = '203.0.113.66';
    for (let start = 0; start < 90; start += 10) {
      await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const { response } = await login(proxied, realm.id, `nobody-${start + i}`, 'guess guess', stuffer);
          expectCode(response, 'INVALID_CREDENTIALS');
        }),
      );
    }
    // The last ten one by one, so the next attempt follows the 100th well inside its 1 s block.
    for (let i = 90; i < 100; i++) expectCode((await login(proxied, realm.id, `nobody-${i}`, 'guess guess', stuffer)).response, 'INVALID_CREDENTIALS');
    expectCode((await login(proxied, realm.id, heidi.username, DEFAULT_PASSWORD, stuffer)).response, 'RATE_LIMITED');
    // Other addresses, and the same address in another realm, are unaffected.
    expect((await login(proxied, realm.id, heidi.username, DEFAULT_PASSWORD, '203.0.113.67')).response.errors).toBeUndefined();
    expect((await login(proxied, otherRealm.id, ivan.username, DEFAULT_PASSWORD, stuffer)).response.errors).toBeUndefined();
  });
});

describe('timing', () => {
  it('answers an unknown user and a wrong password in the same time, both after a real argon2 verify', async () => {
    const realm = await seedRealm(proxied);
    const SAMPLES = 30;
    const users = await Promise.all(Array.from({ length: SAMPLES }, () => realm.createUser()));
    // Warm up (first requests compile code paths and make the dummy hash).
    for (let i = 0; i < 3; i++) {
      await login(proxied, realm.id, unique('warm'), 'wrong password!', `198.18.0.${i + 1}`);
      await login(proxied, realm.id, users[i].username, 'wrong password!', `198.18.1.${i + 1}`);
    }
    const verifyCount = countVerifies();
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      // Interleaved, alternating which goes first, each from its own address and account.
      const pair = [
        async () => {
          const { response, ms } = await login(proxied, realm.id, unique('ghost'), 'wrong password!', `198.18.2.${i + 1}`);
          expectCode(response, 'INVALID_CREDENTIALS');
          unknown[i] = ms;
        },
        async () => {
          const { response, ms } = await login(proxied, realm.id, users[i].username, 'wrong password!', `198.18.3.${i + 1}`);
          expectCode(response, 'INVALID_CREDENTIALS');
          wrong[i] = ms;
        },
      ];
      if (i % 2) pair.reverse();
      for (const run of pair) await run();
      if (unknown.length !== wrong.length) throw new Error('unpaired sample');
    }
    expect(verifyCount.count(), 'every attempt, known user or not, runs one argon2 verify').toBe(2 * SAMPLES);
    const [mUnknown, mWrong] = [median(unknown), median(wrong)];
    // Each pair ran back to back, so the ratio within a pair cancels the machine's load drift.
    const ratio = median(unknown.map((ms, i) => ms / wrong[i]));
    console.log(
      `login timing: unknown user median ${mUnknown.toFixed(1)} ms, wrong password median ${mWrong.toFixed(1)} ms, median pair ratio ${ratio.toFixed(3)}`,
    );
    expect(mUnknown).toBeGreaterThan(8);
    expect(mWrong).toBeGreaterThan(8);
    expect(Math.abs(Math.log(ratio))).toBeLessThan(Math.log(1.25));
    expect(Math.abs(mUnknown - mWrong) / Math.max(mUnknown, mWrong)).toBeLessThan(0.25);
  });
});

describe('a burst of logins', () => {
  it('300 logins at once: the server stays healthy and answers each with INVALID_CREDENTIALS or RATE_LIMITED', async () => {
    const realm = await seedRealm(proxied);
    const codes = new Map<string, number>();
    let burstDone = false;
    const healthChecks: { status: number; ms: number }[] = [];
    const probe = (async () => {
      while (!burstDone) {
        const started = performance.now();
        const response = await fetch(`${proxied.url}/health`);
        healthChecks.push({ status: response.status, ms: performance.now() - started });
        await response.arrayBuffer();
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const { response } = await login(proxied, realm.id, unique('burst'), 'wrong password!', `100.64.${i >> 8}.${i & 255}`);
        const code = errorCode(response) ?? 'NONE';
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }),
    );
    const burstMs = performance.now() - started;
    burstDone = true;
    await probe;
    console.log(
      `300-login burst: ${burstMs.toFixed(0)} ms, answers ${JSON.stringify(Object.fromEntries(codes))}, ` +
        `/health max ${Math.max(...healthChecks.map((h) => h.ms)).toFixed(0)} ms over ${healthChecks.length} probes`,
    );
    expect(
      [...codes.keys()].every((code) => code === 'INVALID_CREDENTIALS' || code === 'RATE_LIMITED'),
      JSON.stringify([...codes]),
    ).toBe(true);
    expect(codes.get('INVALID_CREDENTIALS') ?? 0).toBeGreaterThan(0);
    expect(healthChecks.length).toBeGreaterThan(0);
    expect(healthChecks.every((h) => h.status === 200)).toBe(true);
    // And afterwards the server works normally — once the realm's failure budget (spent by the
    // burst: hundreds of failures from addresses unknown to their accounts) lifts its block.
    proxied.clock.advance(61_000);
    const user = await realm.createUser();
    const { response } = await login(proxied, realm.id, user.username, DEFAULT_PASSWORD, '100.65.0.1');
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  }, 120_000);
});

describe('the argon2 budget', () => {
  it('runs at most one hash per core, queues MAX_QUEUED_HASHES, and refuses the rest at once', async () => {
    // A fresh copy of the module: its queue is not shared with the servers of this file.
    vi.resetModules();
    const password = await import('../src/auth/password.js');
    const passwords = new password.PasswordHasher();
    const hash = await passwords.hash('the real password');
    const original = argon2.verify.bind(argon2);
    let inFlight = 0;
    let maxInFlight = 0;
    verifies = vi.spyOn(argon2, 'verify').mockImplementation(async (...args: Parameters<typeof argon2.verify>) => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      try {
        return await original(...args);
      } finally {
        inFlight--;
      }
    });
    const outcomes = await Promise.allSettled(Array.from({ length: 300 }, () => passwords.verify(hash, 'a wrong password')));
    const refused = outcomes.filter((o) => o.status === 'rejected');
    const cores = availableParallelism();
    expect(refused).toHaveLength(300 - cores - password.MAX_QUEUED_HASHES);
    for (const outcome of refused) expect((outcome as PromiseRejectedResult).reason).toMatchObject({ code: 'RATE_LIMITED', extensions: { retryAfter: 1 } });
    expect(outcomes.filter((o) => o.status === 'fulfilled' && o.value === false)).toHaveLength(cores + password.MAX_QUEUED_HASHES);
    expect(maxInFlight).toBeLessThanOrEqual(cores);
    expect(inFlight).toBe(0);
    // The queue drained: a new verify runs normally.
    expect(await passwords.verify(hash, 'the real password')).toBe(true);
  }, 60_000);

  it('does not keep a failed dummy hash: unknown users still cost a verify once the queue drains', async () => {
    vi.resetModules();
    const password = await import('../src/auth/password.js');
    const passwords = new password.PasswordHasher();
    const hash = await passwords.hash('the real password');
    const flood = Array.from({ length: availableParallelism() + password.MAX_QUEUED_HASHES }, () => passwords.verify(hash, 'nope nope'));
    // The very first unknown-user login arrives while the queue is full.
    await expect(passwords.dummyHash()).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    await Promise.all(flood);
    const dummy = await passwords.dummyHash();
    expect(dummy).toMatch(/^\$argon2id\$/);
    expect(await passwords.verify(dummy, 'anything at all')).toBe(false);
  }, 60_000);
});

describe('the counter table', () => {
  it('is pruned of counters idle for longer than the window by the sweeper, keeping live ones and running blocks', async () => {
    const em = server.app.deps.orm.em.fork();
    const tag = unique('prune');
    const hourAgo = new Date(Date.now() - 3600_000);
    await em.execute(
      `insert into login_throttle (key, failures, last_failure_at, blocked_until) values (?, 3, ?, null), (?, 1, now(), null), (?, 40, ?, now() + interval '5 minutes')`,
      [`${tag}-stale`, hourAgo, `${tag}-live`, `${tag}-blocked`, hourAgo],
    );
    await server.app.sweeper.sweepNow();
    const left = await em.execute<{ key: string }[]>(`select key from login_throttle where key like ? order by key`, [`${tag}-%`]);
    expect(left.map((row) => row.key)).toEqual([`${tag}-blocked`, `${tag}-live`]);
    await em.execute(`delete from login_throttle where key like ?`, [`${tag}-%`]);
  });
});

describe('throttle counters under concurrency', () => {
  it('parallel logins sharing counters (one address, the same accounts) never fail with a server error', async () => {
    const realm = await seedRealm(server);
    const users = await Promise.all(Array.from({ length: 4 }, () => realm.createUser()));
    // Four attempts per account and round: under the account+address threshold, so they all
    // reach the password check, and successes clear counters while others charge them.
    for (let round = 0; round < 12; round++) {
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) => login(server, realm.id, users[i % 4].username, i % 8 === 7 ? 'a wrong password' : DEFAULT_PASSWORD)),
      );
      for (const { response } of results) {
        expect([undefined, 'INVALID_CREDENTIALS', 'RATE_LIMITED'], JSON.stringify(response.errors)).toContain(errorCode(response));
      }
      expect(results.filter(({ response }) => response.data?.login).length).toBeGreaterThan(0);
    }
  });
});

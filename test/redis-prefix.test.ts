import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startTestServer, ok, type TestServer } from './helpers/server.js';
import { seedRealm } from './helpers/factories.js';
import { eventually, sleep } from './helpers/ws-client.js';
import { loadConfig, ConfigError } from '../src/config.js';
import type { SessionLifecycleEvent } from '../src/events/session-events.js';
import type { Invalidation } from '../src/events/cache-invalidations.js';

// REDIS_PREFIX (docs/operations.md): two deployments sharing one Redis never hear each other's
// terminations, realm events or cache invalidations. Runs against the Redis of REDIS_URL (as CI
// runs the suite), each deployment on an embedded database of its own.

const REDIS_URL = process.env.REDIS_URL;

describe('REDIS_PREFIX: the setting', () => {
  it('defaults to "tessera:" and refuses a name that is not one', () => {
    expect(loadConfig({}).redisPrefix).toBe('tessera:');
    expect(loadConfig({ REDIS_PREFIX: ' ' }).redisPrefix).toBe('tessera:');
    expect(loadConfig({ REDIS_PREFIX: 'staging.tessera:' }).redisPrefix).toBe('staging.tessera:');
    for (const value of ['tessera*', 'a b', 'x'.repeat(65), 'ten?']) {
      expect(() => loadConfig({ REDIS_PREFIX: value }), value).toThrow(ConfigError);
      expect(() => loadConfig({ REDIS_PREFIX: value }), value).toThrow(/^REDIS_PREFIX: /);
    }
  });
});

describe.skipIf(!REDIS_URL)('two deployments on one Redis [skipped when REDIS_URL is not set]', () => {
  const run = randomBytes(4).toString('hex');
  const prefixA = `tessera-test-a-${run}:`;
  const prefixB = `tessera-test-b-${run}:`;
  // A and C are two instances of one deployment (one prefix); B is another deployment.
  let a: TestServer;
  let b: TestServer;
  let c: TestServer;
  let observer: Redis;
  let commands: Redis;
  const seen: { channel: string; message: string }[] = [];
  const heard = new Map<TestServer, { terminations: SessionLifecycleEvent[]; invalidations: Invalidation[] }>();

  beforeAll(async () => {
    const own = (prefix: string) => ({ DATABASE_URL: '', DATA_DIR: 'memory://', REDIS_URL: REDIS_URL!, REDIS_PREFIX: prefix });
    [a, b, c] = await Promise.all([startTestServer(own(prefixA)), startTestServer(own(prefixB)), startTestServer(own(prefixA))]);
    for (const server of [b, c]) {
      const log = { terminations: [] as SessionLifecycleEvent[], invalidations: [] as Invalidation[] };
      heard.set(server, log);
      server.app.deps.events.onTerminations((events) => log.terminations.push(...events));
      server.app.deps.invalidations.on((items) => log.invalidations.push(...items));
    }
    // Everything published on this Redis, whoever published it.
    commands = new Redis(REDIS_URL!);
    observer = new Redis(REDIS_URL!);
    observer.on('pmessage', (_pattern: string, channel: string, message: string) => seen.push({ channel, message }));
    await observer.psubscribe('*');
  }, 60_000);

  afterAll(async () => {
    observer?.disconnect();
    commands?.disconnect();
    await Promise.all([a?.close(), b?.close(), c?.close()]);
  });

  it('every channel a deployment uses carries its prefix, and the other deployment hears none of it', async () => {
    // Each instance subscribes only under its own prefix; nothing listens on a bare name.
    const subscribed = (pattern: string) => commands.pubsub('CHANNELS', pattern) as Promise<string[]>;
    expect(await subscribed(`${prefixA}*`)).toEqual(expect.arrayContaining([`${prefixA}terminations`, `${prefixA}invalidations`]));
    expect(await subscribed(`${prefixB}*`)).toEqual(expect.arrayContaining([`${prefixB}terminations`, `${prefixB}invalidations`]));
    expect(await subscribed('terminations')).toEqual([]);
    expect(await subscribed('invalidations')).toEqual([]);

    // On A: a login (CREATED), a logout (TERMINATED), a disabled user (an invalidation).
    const realm = await seedRealm(a);
    const user = await realm.createUser();
    const login = await user.login();
    ok(await a.gql('mutation { logout }', {}, login.accessToken));
    ok(await a.gql('mutation ($id: ID!) { updateUser(id: $id, input: { disabled: true }) { id } }', { id: user.id }, a.adminKey));

    // C, of A's deployment, hears all of it through Redis (C's database knows nothing of it)…
    const atC = heard.get(c)!;
    await eventually(() => atC.terminations.some((event) => event.sessionId === login.session!.id), 5_000, 'the termination at C');
    await eventually(() => atC.invalidations.some((item) => item.kind === 'user' && item.userId === user.id), 5_000, 'the invalidation at C');
    await eventually(() => seen.some(({ channel }) => channel === `${prefixA}realm:${realm.id}`), 5_000, 'the realm events on Redis');
    await sleep(300); // anything B were to hear would have arrived with C's

    // …B hears none of it.
    const atB = heard.get(b)!;
    expect(atB.terminations.filter((event) => event.realmId === realm.id)).toEqual([]);
    expect(atB.invalidations.filter((item) => item.kind === 'user' && item.userId === user.id)).toEqual([]);

    // What A published went out on A's channels only.
    const ofRealm = seen.filter(({ message }) => message.includes(realm.id) || message.includes(user.id));
    expect(ofRealm.length).toBeGreaterThanOrEqual(3);
    expect(ofRealm.filter(({ channel }) => !channel.startsWith(prefixA))).toEqual([]);
    expect(new Set(ofRealm.map(({ channel }) => channel))).toEqual(
      new Set([`${prefixA}terminations`, `${prefixA}realm:${realm.id}`, `${prefixA}invalidations`]),
    );
  });
});

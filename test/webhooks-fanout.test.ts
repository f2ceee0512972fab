import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, ownDatabase, startTestServer, type TestServer } from './helpers/server.js';
import { seedRealm } from './helpers/factories.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { sql, sqlRows } from '../src/db/sql.js';

// The fan-out (events of the record → delivery rows) racing admins who delete, disable or enable an
// endpoint while it runs. Real PostgreSQL only: PGlite serves one connection, so nothing can run
// between the fan-out's statements there.

const DATABASE_URL = process.env.DATABASE_URL;
const CREATE = `mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } } }`;
const UPDATE = `mutation ($id: ID!, $input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(id: $id, input: $input) { enabled } }`;

describe.skipIf(!DATABASE_URL)('fan-out racing endpoint changes [real PostgreSQL: skipped when DATABASE_URL is not set]', () => {
  let database: Awaited<ReturnType<typeof ownDatabase>>;
  let server: TestServer;
  let receiver: Receiver;
  const logged: string[] = [];
  beforeAll(async () => {
    database = await ownDatabase();
    server = await startTestServer(
      { ...database.env, WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', PASSWORD_HASH_MEMORY_KIB: '7168', PASSWORD_HASH_ITERATIONS: '5', LOG_LEVEL: 'warn' },
      { logSink: (line) => logged.push(line) },
    );
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
    await database?.drop();
  });

  async function endpoint(realmId: string, path: string): Promise<string> {
    const input = { realmId, url: `${receiver.url}${path}`, eventTypes: ['SESSION_CREATED'] };
    return ok(await server.gql(CREATE, { input }, server.adminKey)).createWebhookEndpoint.endpoint.id;
  }

  async function burst(realm: Awaited<ReturnType<typeof seedRealm>>, count: number): Promise<void> {
    const user = await realm.createUser();
    for (let i = 0; i < count; i++) await user.login();
  }

  /** Runs `change` in a transaction that stays open until the returned `commit` is called. */
  function openTransaction(change: string): { commit(): Promise<void>; started: Promise<void> } {
    let release!: () => void;
    let started!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const startedPromise = new Promise<void>((resolve) => (started = resolve));
    const done = server.app.deps.orm.em.fork().transactional(async (tx) => {
      await tx.getConnection().execute(change, [], 'run', tx.getTransactionContext());
      started();
      await released;
    });
    return {
      started: startedPromise,
      async commit() {
        release();
        await done;
      },
    };
  }

  /** Until some backend of this database waits for a row lock (the fan-out, blocked by `tx`). */
  async function someoneWaitsForALock(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const rows = await sqlRows<{ n: string }>(
        server.app.deps.orm.em.fork(),
        sql`select count(*)::text as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
      );
      if (Number(rows[0].n) > 0) return true;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return false;
  }

  const deliveries = async (endpointId: string) =>
    sqlRows<{ status: string }>(server.app.deps.orm.em.fork(), sql`select status from delivery where endpoint_id = ${endpointId}`);

  it('an endpoint deleted while its events are fanned out gets no deliveries, and the other endpoints get theirs at once', async () => {
    await server.app.deliveries.drain(); // the fan-out cursor starts before this test's events
    const realm = await seedRealm(server);
    const doomed = await endpoint(realm.id, '/doomed');
    const kept = await endpoint(realm.id, '/kept');
    await burst(realm, 20);

    // The delete holds the endpoint's row until it commits; the fan-out meanwhile reaches it.
    const deleting = openTransaction(`delete from webhook_endpoint where id = '${doomed}'`);
    await deleting.started;
    const warnings = logged.length;
    const polled = server.app.deliveries.poll();
    expect(await someoneWaitsForALock()).toBe(true);
    await deleting.commit();
    await polled;

    // One poll: the fan-out did not fail and wait for the next one.
    expect(logged.slice(warnings).filter((line) => line.includes('fan-out'))).toEqual([]);
    expect(await deliveries(kept)).toHaveLength(20);
    expect(await deliveries(doomed)).toHaveLength(0);
    await server.app.deliveries.drain();
    expect(receiver.requests.filter((r) => r.path === '/kept')).toHaveLength(20);
    expect(receiver.requests.filter((r) => r.path === '/doomed')).toHaveLength(0);
  });

  it('an endpoint disabled while the fan-out runs does not hold it up; its deliveries wait until it is enabled again', async () => {
    await server.app.deliveries.drain();
    const realm = await seedRealm(server);
    const paused = await endpoint(realm.id, '/paused');
    await burst(realm, 5);

    const disabling = openTransaction(`update webhook_endpoint set enabled = false where id = '${paused}'`);
    await disabling.started;
    const warnings = logged.length;
    // Not blocked by the open update: the fan-out only needs the endpoint's key to stay.
    const polled = await Promise.race([server.app.deliveries.poll().then(() => 'polled'), new Promise((r) => setTimeout(() => r('blocked'), 3000))]);
    await disabling.commit();
    expect(polled).toBe('polled');
    expect(logged.slice(warnings).filter((line) => line.includes('fan-out'))).toEqual([]);
    // Made from the record as it was (the events came before the disable); what the first poll did
    // not send before the disable committed waits, and goes once the endpoint is enabled again.
    await server.app.deliveries.drain();
    expect(await deliveries(paused)).toHaveLength(5);
    ok(await server.gql(UPDATE, { id: paused, input: { enabled: true } }, server.adminKey));
    await server.app.deliveries.drain();
    expect(receiver.requests.filter((r) => r.path === '/paused')).toHaveLength(5);
    expect((await deliveries(paused)).map((d) => d.status)).toEqual(Array(5).fill('SUCCEEDED'));
  });
});

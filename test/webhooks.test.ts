import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { errorCode, ok, useTestServer, type TestServer } from './helpers/server.js';
import { createAdminKey, seedRealm } from './helpers/factories.js';
import { startReceiver, type ReceivedRequest, type Receiver } from './helpers/receiver.js';
import { RETRY_DELAYS_MS } from '../src/delivery/deliveries.js';
import { eventually } from './helpers/ws-client.js';

// Polls are driven by the tests (app.deliveries.drain()), retries by moving the clock.
const server = useTestServer({ env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_POLL_SECONDS: '3600' }, resetClock: true });
let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver.close());

const ENDPOINT_FIELDS = `id url description eventTypes enabled disabledReason createdAt realm { id }`;
const CREATE = `mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { ${ENDPOINT_FIELDS} } } }`;
const DELIVERIES = `query ($id: ID!) { webhookEndpoint(id: $id) { deliveries(first: 20) { edges { node {
  id eventId eventType status attempts lastResponseStatus lastError nextAttemptAt deliveredAt createdAt } } } } }`;

type DeliveryNode = {
  id: string;
  eventId: string;
  eventType: string;
  status: string;
  attempts: number;
  lastResponseStatus: number | null;
  lastError: string | null;
};

async function createEndpoint(realmId: string, path: string, eventTypes = ['SESSION_CREATED', 'SESSION_REFRESHED', 'SESSION_TERMINATED']) {
  const created = ok(await server.gql(CREATE, { input: { realmId, url: `${receiver.url}${path}`, eventTypes, description: 'test' } }, server.adminKey));
  return created.createWebhookEndpoint as { secret: string; endpoint: { id: string; url: string; enabled: boolean } };
}

async function deliveriesOf(endpointId: string): Promise<DeliveryNode[]> {
  return ok(await server.gql(DELIVERIES, { id: endpointId }, server.adminKey)).webhookEndpoint.deliveries.edges.map((e: { node: DeliveryNode }) => e.node);
}

const to = (path: string) => receiver.requests.filter((request) => request.path === path);

/** Verified as a receiver would, with the receiver's clock agreeing with the server's (moved) clock. */
function verify(server: TestServer, secret: string, request: ReceivedRequest, body = request.body, at = server.clock.now().getTime()) {
  const realNow = Date.now;
  Date.now = () => at;
  try {
    return new Webhook(secret).verify(body, request.headers as Record<string, string>);
  } finally {
    Date.now = realNow;
  }
}

let pathCounter = 0;
const newPath = () => `/hook-${pathCounter++}`;

describe('the webhook endpoint API', () => {
  it('creates, lists, reads, updates and deletes endpoints; the secret is shown once', async () => {
    const realm = await seedRealm(server);
    const { secret, endpoint } = await createEndpoint(realm.id, newPath(), ['SESSION_TERMINATED', 'SESSION_CREATED']);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(endpoint).toMatchObject({ enabled: true, eventTypes: ['SESSION_CREATED', 'SESSION_TERMINATED'], description: 'test', disabledReason: null });
    const listed = ok(await server.gql(`query ($r: ID!) { webhookEndpoints(realmId: $r) { id url } }`, { r: realm.id }, server.adminKey));
    expect(listed.webhookEndpoints).toEqual([{ id: endpoint.id, url: endpoint.url }]);
    const updated = ok(
      await server.gql(
        `mutation ($id: ID!, $input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(id: $id, input: $input) { enabled eventTypes description } }`,
        { id: endpoint.id, input: { enabled: false, eventTypes: ['SESSION_REFRESHED'], description: null } },
        server.adminKey,
      ),
    );
    expect(updated.updateWebhookEndpoint).toEqual({ enabled: false, eventTypes: ['SESSION_REFRESHED'], description: null });
    // The secret is not readable afterwards: no field has it.
    expect(errorCode(await server.gql(`query ($id: ID!) { webhookEndpoint(id: $id) { secret } }`, { id: endpoint.id }, server.adminKey))).toBe(
      'GRAPHQL_VALIDATION_FAILED',
    );
    expect(ok(await server.gql(`mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id: endpoint.id }, server.adminKey)).deleteWebhookEndpoint).toBe(
      true,
    );
    expect(errorCode(await server.gql(`query ($id: ID!) { webhookEndpoint(id: $id) { id } }`, { id: endpoint.id }, server.adminKey))).toBe('NOT_FOUND');
  });

  it('keeps realms apart: another realm’s key sees NOT_FOUND, a READ key cannot change anything', async () => {
    const realm = await seedRealm(server);
    const other = await seedRealm(server);
    const { endpoint } = await createEndpoint(realm.id, newPath());
    const otherKey = await createAdminKey(server, { realmId: other.id, scopes: ['REALMS_MANAGE'] });
    const readKey = await createAdminKey(server, { realmId: realm.id, scopes: ['REALMS_READ'] });
    const get = `query ($id: ID!) { webhookEndpoint(id: $id) { id } }`;
    expect(errorCode(await server.gql(get, { id: endpoint.id }, otherKey))).toBe('NOT_FOUND');
    expect(errorCode(await server.gql(`query ($r: ID!) { webhookEndpoints(realmId: $r) { id } }`, { r: realm.id }, otherKey))).toBe('NOT_FOUND');
    expect(errorCode(await server.gql(`mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id: endpoint.id }, otherKey))).toBe('NOT_FOUND');
    expect(errorCode(await server.gql(`mutation ($id: ID!) { rotateWebhookSecret(id: $id) { secret } }`, { id: endpoint.id }, otherKey))).toBe('NOT_FOUND');
    expect(errorCode(await server.gql(CREATE, { input: { realmId: realm.id, url: `${receiver.url}/x`, eventTypes: ['SESSION_CREATED'] } }, otherKey))).toBe(
      'NOT_FOUND',
    );
    expect(ok(await server.gql(get, { id: endpoint.id }, readKey)).webhookEndpoint.id).toBe(endpoint.id);
    expect(errorCode(await server.gql(`mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id: endpoint.id }, readKey))).toBe('FORBIDDEN');
    expect(errorCode(await server.gql(get, { id: endpoint.id }, null))).toBe('UNAUTHENTICATED');
  });

  it('refuses bad input with BAD_USER_INPUT naming the field, and creates nothing', async () => {
    const realm = await seedRealm(server);
    const cases: [Record<string, unknown>, string][] = [
      [{ url: 'ftp://example.com/hook' }, 'url'],
      [{ url: 'not a url' }, 'url'],
      [{ url: 'http://user:pw@127.0.0.1/hook' }, 'url'],
      [{ url: `https://${'a'.repeat(2100)}.example/` }, 'url'],
      [{ eventTypes: [] }, 'eventTypes'],
      [{ description: 'x'.repeat(501) }, 'description'],
    ];
    for (const [input, field] of cases) {
      const response = await server.gql(
        CREATE,
        { input: { realmId: realm.id, url: `${receiver.url}/x`, eventTypes: ['SESSION_CREATED'], ...input } },
        server.adminKey,
      );
      expect(errorCode(response), JSON.stringify(input)).toBe('BAD_USER_INPUT');
      expect(response.errors![0].extensions!.field).toBe(field);
    }
    expect(ok(await server.gql(`query ($r: ID!) { webhookEndpoints(realmId: $r) { id } }`, { r: realm.id }, server.adminKey)).webhookEndpoints).toEqual([]);
  });
});

describe('deliveries', () => {
  it('sends each subscribed event once, as Standard Webhooks that the standardwebhooks package verifies', async () => {
    const realm = await seedRealm(server);
    const path = newPath();
    const { secret, endpoint } = await createEndpoint(realm.id, path, ['SESSION_CREATED', 'SESSION_TERMINATED']);
    const user = await realm.createUser();
    const login = await user.login();
    ok(await server.gql(`mutation ($id: ID!) { terminateSession(id: $id) { id } }`, { id: login.session!.id }, server.adminKey));
    await server.app.deliveries.drain();

    // Sent concurrently: no order between them is promised (receivers order by the body's timestamp).
    const requests = to(path).sort((a, b) => JSON.parse(a.body).type.localeCompare(JSON.parse(b.body).type));
    expect(requests).toHaveLength(2);
    const events = ok(
      await server.gql(`query ($r: ID!) { realmEvents(realmId: $r) { edges { node { id type } } } }`, { r: realm.id }, server.adminKey),
    ).realmEvents.edges.map((e: { node: { id: string; type: string } }) => e.node);
    expect(requests.map((r) => r.headers['webhook-id'])).toEqual(events.map((e: { id: string }) => e.id));
    expect(events.map((e: { type: string }) => e.type)).toEqual(['CREATED', 'TERMINATED']);
    for (const request of requests) {
      expect(request.headers['content-type']).toBe('application/json');
      expect(verify(server, secret, request)).toEqual(JSON.parse(request.body));
    }
    const [created, terminated] = requests.map((r) => JSON.parse(r.body));
    expect(created).toMatchObject({ type: 'session.created', data: { sessionId: login.session!.id, userId: user.id, realmId: realm.id, reason: null } });
    expect(terminated).toMatchObject({
      type: 'session.terminated',
      data: { sessionId: login.session!.id, userId: user.id, realmId: realm.id, reason: 'TERMINATED_BY_ADMIN' },
    });
    expect(terminated.timestamp).toBe(terminated.data.at);

    // What a receiver must refuse: a changed body, another secret, a stale timestamp.
    expect(() => verify(server, secret, requests[1], requests[1].body.replace('TERMINATED_BY_ADMIN', 'LOGOUT'))).toThrow();
    expect(() => verify(server, `whsec_${Buffer.alloc(24, 1).toString('base64')}`, requests[1])).toThrow();
    expect(() => verify(server, secret, requests[1], requests[1].body, server.clock.now().getTime() + 10 * 60_000)).toThrow();

    const deliveries = await deliveriesOf(endpoint.id);
    expect(deliveries.map((d) => [d.status, d.attempts, d.lastResponseStatus])).toEqual([
      ['SUCCEEDED', 1, 200],
      ['SUCCEEDED', 1, 200],
    ]);
    // Polling again sends nothing more.
    await server.app.deliveries.drain();
    expect(to(path)).toHaveLength(2);
  });

  it('retries a failing receiver with growing delays: 500 three times, then 200 on the 4th attempt, same webhook-id', async () => {
    const realm = await seedRealm(server);
    const path = newPath();
    const { secret, endpoint } = await createEndpoint(realm.id, path, ['SESSION_CREATED']);
    receiver.answer([500, 500, 500]);
    await (await realm.createUser()).login();
    await server.app.deliveries.drain();
    expect(to(path)).toHaveLength(1);
    for (let retry = 0; retry < 3; retry++) {
      // Not before its delay (less the jitter)…
      server.clock.advance(RETRY_DELAYS_MS[retry] * 0.85);
      await server.app.deliveries.drain();
      expect(to(path)).toHaveLength(retry + 1);
      // …and after it (plus the jitter).
      server.clock.advance(RETRY_DELAYS_MS[retry] * 0.3);
      await server.app.deliveries.drain();
      expect(to(path)).toHaveLength(retry + 2);
    }
    const requests = to(path);
    expect(new Set(requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(new Set(requests.map((r) => r.body)).size).toBe(1);
    verify(server, secret, requests[3]);
    const [delivery] = await deliveriesOf(endpoint.id);
    expect(delivery).toMatchObject({ status: 'SUCCEEDED', attempts: 4, lastResponseStatus: 200, lastError: null });
  });

  it('gives up after the last attempt (FAILED), and redeliverWebhook sends it once more with the same webhook-id', async () => {
    const realm = await seedRealm(server);
    const path = newPath();
    const { endpoint } = await createEndpoint(realm.id, path, ['SESSION_CREATED']);
    receiver.answer([], 503);
    try {
      await (await realm.createUser()).login();
      await server.app.deliveries.drain();
      for (const delay of RETRY_DELAYS_MS) {
        server.clock.advance(delay * 1.15);
        await server.app.deliveries.drain();
      }
      expect(to(path)).toHaveLength(RETRY_DELAYS_MS.length + 1);
      const [failed] = await deliveriesOf(endpoint.id);
      expect(failed).toMatchObject({ status: 'FAILED', attempts: 7, lastResponseStatus: 503, lastError: 'HTTP 503' });
      server.clock.advance(24 * 3_600_000);
      await server.app.deliveries.drain();
      expect(to(path)).toHaveLength(7);
    } finally {
      receiver.answer([]);
    }
    const redelivered = ok(
      await server.gql(
        `mutation ($id: ID!) { redeliverWebhook(deliveryId: $id) { id status } }`,
        { id: (await deliveriesOf(endpoint.id))[0].id },
        server.adminKey,
      ),
    );
    expect(redelivered.redeliverWebhook.status).toBe('PENDING');
    await server.app.deliveries.drain();
    const requests = to(path);
    expect(requests).toHaveLength(8);
    expect(requests[7].headers['webhook-id']).toBe(requests[0].headers['webhook-id']);
    expect((await deliveriesOf(endpoint.id))[0]).toMatchObject({ status: 'SUCCEEDED', attempts: 8, lastResponseStatus: 200 });
    const otherKey = await createAdminKey(server, { realmId: (await seedRealm(server)).id, scopes: ['REALMS_MANAGE'] });
    expect(
      errorCode(await server.gql(`mutation ($id: ID!) { redeliverWebhook(deliveryId: $id) { id } }`, { id: redelivered.redeliverWebhook.id }, otherKey)),
    ).toBe('NOT_FOUND');
  });

  it('signs with the old and the new secret during a rotation’s overlap, then with the new one only', async () => {
    const realm = await seedRealm(server);
    const path = newPath();
    const { secret: oldSecret, endpoint } = await createEndpoint(realm.id, path, ['SESSION_CREATED']);
    const rotated = ok(
      await server.gql(`mutation ($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { id } } }`, { id: endpoint.id }, server.adminKey),
    );
    const newSecret: string = rotated.rotateWebhookSecret.secret;
    expect(newSecret).not.toBe(oldSecret);
    const user = await realm.createUser();
    await user.login();
    await server.app.deliveries.drain();
    const [during] = to(path);
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    verify(server, oldSecret, during);
    verify(server, newSecret, during);

    server.clock.advance(24 * 3_600_000 + 60_000);
    await user.login();
    await server.app.deliveries.drain();
    const after = to(path)[1];
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    verify(server, newSecret, after);
    expect(() => verify(server, oldSecret, after)).toThrow();
  });

  it('sends only the subscribed types, nothing to a disabled endpoint, and goes on once it is enabled again', async () => {
    const realm = await seedRealm(server);
    const path = newPath();
    const { endpoint } = await createEndpoint(realm.id, path, ['SESSION_TERMINATED']);
    const user = await realm.createUser();
    const login = await user.login();
    await server.app.deliveries.drain();
    expect(to(path)).toHaveLength(0);
    const update = `mutation ($id: ID!, $input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(id: $id, input: $input) { enabled } }`;
    ok(await server.gql(update, { id: endpoint.id, input: { enabled: false } }, server.adminKey));
    ok(await server.gql(`mutation ($id: ID!) { terminateSession(id: $id) { id } }`, { id: login.session!.id }, server.adminKey));
    await server.app.deliveries.drain();
    expect(to(path)).toHaveLength(0);
    ok(await server.gql(update, { id: endpoint.id, input: { enabled: true } }, server.adminKey));
    const again = await user.login();
    ok(await server.gql(`mutation ($id: ID!) { terminateSession(id: $id) { id } }`, { id: again.session!.id }, server.adminKey));
    await server.app.deliveries.drain();
    // What happened while it was disabled is not sent; what happens after is.
    expect(to(path).map((r) => JSON.parse(r.body).data.sessionId)).toEqual([again.session!.id]);
  });

  it('disables an endpoint whose every delivery failed for 3 days, and says why', async () => {
    const realm = await seedRealm(server);
    const path = newPath();
    const { endpoint } = await createEndpoint(realm.id, path, ['SESSION_CREATED']);
    const user = await realm.createUser();
    receiver.answer([], 500);
    try {
      await user.login();
      await server.app.deliveries.drain();
      server.clock.advance(2 * 24 * 3_600_000);
      await user.login();
      await server.app.deliveries.drain();
      const get = `query ($id: ID!) { webhookEndpoint(id: $id) { enabled disabledReason } }`;
      expect(ok(await server.gql(get, { id: endpoint.id }, server.adminKey)).webhookEndpoint).toEqual({ enabled: true, disabledReason: null });
      server.clock.advance(24 * 3_600_000 + 60_000);
      await user.login();
      await server.app.deliveries.drain();
      const disabled = ok(await server.gql(get, { id: endpoint.id }, server.adminKey)).webhookEndpoint;
      expect(disabled.enabled).toBe(false);
      expect(disabled.disabledReason).toMatch(/failed for 3 days/);
      const sent = to(path).length;
      await user.login();
      server.clock.advance(24 * 3_600_000);
      await server.app.deliveries.drain();
      expect(to(path)).toHaveLength(sent);
    } finally {
      receiver.answer([]);
    }
  });

  it('a stopping instance gives back what it claimed and had not sent: due again at once, not after the lease', async () => {
    // A receiver that answers after a while: the endpoint's 32 slots stay busy, the rest wait.
    const slow = createServer((req, res) => {
      req.resume();
      req.on('end', () => setTimeout(() => res.writeHead(204).end(), 1_000));
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const seen: string[] = [];
    slow.on('request', (req) => seen.push(String(req.headers['webhook-id'])));
    try {
      const realm = await seedRealm(server);
      const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/hook`;
      const created = ok(await server.gql(CREATE, { input: { realmId: realm.id, url, eventTypes: ['SESSION_CREATED'] } }, server.adminKey));
      const endpointId = created.createWebhookEndpoint.endpoint.id as string;
      for (let i = 0; i < 40; i++) await (await realm.createUser()).login();
      void server.app.deliveries.poll();
      await eventually(() => seen.length >= 32, 10_000, 'the 32 attempts in flight');
      expect(seen).toHaveLength(32);
      await server.app.deliveries.stop();
      const rows = (await server.app.deps.orm.em
        .fork()
        .getConnection()
        .execute(`select status, attempts, lease_until from delivery where endpoint_id = ? order by status`, [endpointId])) as {
        status: string;
        attempts: number;
        lease_until: Date | null;
      }[];
      expect(rows.filter((r) => r.status === 'SUCCEEDED')).toHaveLength(32);
      // The other 8 were leased to this instance, held, and given back unattempted.
      expect(rows.filter((r) => r.status === 'PENDING').map((r) => [r.attempts, r.lease_until])).toEqual(Array.from({ length: 8 }, () => [0, null]));
      server.app.deliveries.start();
      await server.app.deliveries.drain();
      expect(new Set(seen).size).toBe(40);
      expect(seen).toHaveLength(40);
    } finally {
      slow.close();
    }
  });

  it('counts attempts in the metrics', async () => {
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/tessera_deliveries_total\{target="webhook",outcome="succeeded"\} \d+/);
    expect(metrics).toMatch(/tessera_delivery_attempt_seconds_count [1-9]/);
    expect(metrics).toMatch(/tessera_delivery_queue_depth \d+/);
    expect(metrics).toMatch(/tessera_delivery_oldest_pending_seconds [\d.]+/);
  });
});

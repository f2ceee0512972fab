import { describe, expect, it } from 'vitest';
import { useTestServer, ok, errorCode } from './helpers/server.js';
import { createAdminKey, seedRealm } from './helpers/factories.js';
import {
  ClientByIdDocument,
  ClientsOfRealmDocument,
  CreateClientDocument,
  DeleteClientDocument,
  RotateClientSecretDocument,
  UpdateClientDocument,
} from './generated/graphql.js';
import { Client } from '../src/db/entities/index.js';
import { sha256 } from '../src/auth/opaque-tokens.js';
import { ClientService } from '../src/client/client.service.js';

const server = useTestServer();

async function createClient(realmId: string, input: { name?: string; backchannelLogoutUri?: string | null } = {}, key = server.adminKey) {
  return server.gql(CreateClientDocument, { input: { realmId, name: input.name ?? 'app', backchannelLogoutUri: input.backchannelLogoutUri } }, key);
}

describe('clients of a realm (GraphQL)', () => {
  it('creates a client with its secret shown once and stored only as a hash; lists, reads, updates, rotates and deletes it', async () => {
    const realm = await seedRealm(server);
    const created = ok(await createClient(realm.id, { name: 'billing', backchannelLogoutUri: 'https://billing.example/logout?x=1' })).createClient;
    expect(created.client).toMatchObject({ name: 'billing', backchannelLogoutUri: 'https://billing.example/logout?x=1', realm: { id: realm.id } });
    expect(created.clientSecret).toMatch(/^tcs_[A-Za-z0-9_-]{43}$/);

    const row = await server.app.deps.orm.em.fork().findOneOrFail(Client, { id: created.client.id });
    expect(row.secretHash).toBe(sha256(created.clientSecret));
    expect(JSON.stringify(row)).not.toContain(created.clientSecret);

    expect(ok(await server.gql(ClientsOfRealmDocument, { realmId: realm.id }, server.adminKey)).clients.map((c) => c.id)).toEqual([created.client.id]);
    expect(ok(await server.gql(ClientByIdDocument, { id: created.client.id }, server.adminKey)).client).toMatchObject({ name: 'billing' });

    const updated = ok(
      await server.gql(UpdateClientDocument, { id: created.client.id, input: { name: 'billing-2', backchannelLogoutUri: null } }, server.adminKey),
    );
    expect(updated.updateClient).toMatchObject({ name: 'billing-2', backchannelLogoutUri: null });

    const rotated = ok(await server.gql(RotateClientSecretDocument, { id: created.client.id }, server.adminKey)).rotateClientSecret;
    expect(rotated.clientSecret).not.toBe(created.clientSecret);
    const afterRotation = await server.app.deps.orm.em.fork().findOneOrFail(Client, { id: created.client.id });
    expect(afterRotation.secretHash).toBe(sha256(rotated.clientSecret));

    expect(ok(await server.gql(DeleteClientDocument, { id: created.client.id }, server.adminKey)).deleteClient).toBe(true);
    expect(errorCode(await server.gql(ClientByIdDocument, { id: created.client.id }, server.adminKey))).toBe('NOT_FOUND');
    expect(ok(await server.gql(ClientsOfRealmDocument, { realmId: realm.id }, server.adminKey)).clients).toEqual([]);
  });

  it('keeps clients inside their realm: a key of another realm gets NOT_FOUND for every operation', async () => {
    const realmA = await seedRealm(server);
    const realmB = await seedRealm(server);
    const clientB = ok(await createClient(realmB.id)).createClient.client;
    const keyA = await createAdminKey(server, { realmId: realmA.id });

    expect(errorCode(await server.gql(ClientByIdDocument, { id: clientB.id }, keyA))).toBe('NOT_FOUND');
    expect(errorCode(await server.gql(ClientsOfRealmDocument, { realmId: realmB.id }, keyA))).toBe('NOT_FOUND');
    expect(errorCode(await createClient(realmB.id, {}, keyA))).toBe('NOT_FOUND');
    expect(errorCode(await server.gql(UpdateClientDocument, { id: clientB.id, input: { name: 'mine' } }, keyA))).toBe('NOT_FOUND');
    expect(errorCode(await server.gql(RotateClientSecretDocument, { id: clientB.id }, keyA))).toBe('NOT_FOUND');
    expect(errorCode(await server.gql(DeleteClientDocument, { id: clientB.id }, keyA))).toBe('NOT_FOUND');
    // Nothing changed in realm B.
    expect(ok(await server.gql(ClientByIdDocument, { id: clientB.id }, server.adminKey)).client).toMatchObject({ name: 'app' });
    // Realm A's own key still manages realm A.
    expect(ok(await createClient(realmA.id, {}, keyA)).createClient.client.realm.id).toBe(realmA.id);
  });

  it('needs REALMS_MANAGE to write (REALMS_READ reads), and a caller to do anything', async () => {
    const realm = await seedRealm(server);
    const { id } = ok(await createClient(realm.id)).createClient.client;
    const reader = await createAdminKey(server, { realmId: realm.id, scopes: ['REALMS_READ'] });
    const sessions = await createAdminKey(server, { realmId: realm.id, scopes: ['SESSIONS_READ'] });

    expect(ok(await server.gql(ClientByIdDocument, { id }, reader)).client?.id).toBe(id);
    expect(errorCode(await createClient(realm.id, {}, reader))).toBe('FORBIDDEN');
    expect(errorCode(await server.gql(RotateClientSecretDocument, { id }, reader))).toBe('FORBIDDEN');
    expect(errorCode(await server.gql(DeleteClientDocument, { id }, reader))).toBe('FORBIDDEN');
    expect(errorCode(await server.gql(ClientsOfRealmDocument, { realmId: realm.id }, sessions))).toBe('FORBIDDEN');
    expect(errorCode(await server.gql(ClientsOfRealmDocument, { realmId: realm.id }, null))).toBe('UNAUTHENTICATED');
    const user = await realm.createUser();
    const login = await user.login();
    expect(errorCode(await server.gql(ClientsOfRealmDocument, { realmId: realm.id }, login.accessToken))).toBe('FORBIDDEN');
  });

  it.each([
    ['not a URL', 'logout'],
    ['a fragment', 'https://app.example/logout#x'],
    ['credentials', 'https://user:pw@app.example/logout'],
    ['another scheme', 'ftp://app.example/logout'],
    ['an over-long URL', `https://app.example/${'a'.repeat(2100)}`],
    // The webhooks' target rules (test/webhook-target.test.ts has the whole table).
    ['a loopback address', 'http://127.0.0.1:9/bcl'],
    ['a loopback address spelled in hex', 'https://0x7f.1/bcl'],
    ['an IPv4-mapped loopback address', 'https://[::ffff:127.0.0.1]/bcl'],
    ['a private address', 'https://10.0.0.5/bcl'],
    ['the cloud metadata address', 'http://169.254.169.254/latest/meta-data'],
    ['a metadata host name', 'http://metadata.google.internal/computeMetadata/v1/'],
  ])('refuses a backchannelLogoutUri with %s (BAD_USER_INPUT, field named), and changes nothing', async (_what, uri) => {
    const realm = await seedRealm(server);
    const response = await createClient(realm.id, { backchannelLogoutUri: uri });
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
    expect(response.errors![0].extensions!.field).toBe('backchannelLogoutUri');
    expect(ok(await server.gql(ClientsOfRealmDocument, { realmId: realm.id }, server.adminKey)).clients).toEqual([]);

    const { id } = ok(await createClient(realm.id, { name: 'kept', backchannelLogoutUri: 'https://app.example/bcl' })).createClient.client;
    const update = await server.gql(UpdateClientDocument, { id, input: { name: 'changed', backchannelLogoutUri: uri } }, server.adminKey);
    expect(update.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'backchannelLogoutUri' });
    expect(ok(await server.gql(ClientByIdDocument, { id }, server.adminKey)).client).toMatchObject({
      name: 'kept',
      backchannelLogoutUri: 'https://app.example/bcl',
    });
  });

  it('refuses an empty name', async () => {
    const realm = await seedRealm(server);
    const response = await createClient(realm.id, { name: '  ' });
    expect(response.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
  });
});

describe('clients in production', () => {
  it('accepts only https back-channel logout URIs (plain http is for development and tests)', async () => {
    const realm = await seedRealm(server);
    const clients = new ClientService({ em: server.app.deps.orm.em.fork(), clock: server.clock, rules: { allowPrivate: false, allowHttp: false } });
    const caller = { kind: 'admin', keyId: 'adm_test', name: 'test', scopes: new Set(['REALMS_MANAGE'] as const), realmId: null, ip: null } as const;
    await expect(clients.createClient(caller, { realmId: realm.id, name: 'app', backchannelLogoutUri: 'http://app.example/bcl' })).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      extensions: { field: 'backchannelLogoutUri' },
    });
    const created = await clients.createClient(caller, { realmId: realm.id, name: 'app', backchannelLogoutUri: 'https://app.example/bcl' });
    expect(created.client.backchannelLogoutUri).toBe('https://app.example/bcl');
    // Outside production, http is fine (the server of this file runs with NODE_ENV=test).
    expect(ok(await createClient(realm.id, { backchannelLogoutUri: 'http://app.example/bcl' })).createClient.client.backchannelLogoutUri).toBe(
      'http://app.example/bcl',
    );
  });
});

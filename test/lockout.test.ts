import { describe, expect, it } from 'vitest';
import { errorCode, useTestServer, type GraphQLResponse } from './helpers/server.js';
import { DEFAULT_PASSWORD, seedRealm, unique } from './helpers/factories.js';

// Lockout resistance (docs/security.md#password-guessing-and-enumeration), the attack of issue 16
// item 5 replayed on the test clock: nobody can keep the owner out of its account from elsewhere.

const server = useTestServer({ env: { TRUST_PROXY: 'true' }, resetClock: true });
const LOGIN = `mutation ($input: LoginInput!) { login(input: $input) { accessToken } }`;
const login = (realmId: string, username: string, password: string, ip: string) =>
  server.gql(LOGIN, { input: { realmId, username, password } }, null, { 'x-forwarded-for': ip }) as Promise<GraphQLResponse<unknown>>;

describe('an account under a distributed attack', () => {
  it('20 failures from 5 addresses, then one every 200 ms from rotating ones: the owner from its own address gets in every time', async () => {
    const realm = await seedRealm(server);
    const owner = await realm.createUser();
    const home = '198.51.100.7';
    expect(errorCode(await login(realm.id, owner.username, DEFAULT_PASSWORD, home))).toBeUndefined();
    for (let i = 0; i < 20; i++) await login(realm.id, owner.username, 'wrong guess!', `203.0.113.${i % 5}`);
    let ownerIn = 0;
    let n = 0;
    for (let round = 0; round < 75; round++) {
      for (let k = 0; k < 10; k++) {
        server.clock.advance(200);
        const code = errorCode(await login(realm.id, owner.username, 'wrong guess!', `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n++ & 255}`));
        expect(['INVALID_CREDENTIALS', 'RATE_LIMITED']).toContain(code);
      }
      if (errorCode(await login(realm.id, owner.username, DEFAULT_PASSWORD, home)) === undefined) ownerIn++;
    }
    expect(ownerIn).toBe(75);
  }, 240_000);

  it('150 failures from 150 addresses on 150 usernames spend the realm budget; a known address still gets in', async () => {
    const realm = await seedRealm(server);
    const owner = await realm.createUser();
    expect(errorCode(await login(realm.id, owner.username, DEFAULT_PASSWORD, '198.51.100.9'))).toBeUndefined();
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < 150; i++) codes.push(errorCode(await login(realm.id, unique('nobody'), 'wrong guess!', `100.70.${i >> 8}.${i & 255}`)));
    expect(codes.filter((c) => c === 'RATE_LIMITED').length).toBeGreaterThan(0);
    expect(errorCode(await login(realm.id, owner.username, DEFAULT_PASSWORD, '198.51.100.200'))).toBe('RATE_LIMITED');
    expect(errorCode(await login(realm.id, owner.username, DEFAULT_PASSWORD, '198.51.100.9'))).toBeUndefined();
  }, 120_000);
});

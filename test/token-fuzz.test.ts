import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, ok, type TestServer } from './helpers/server.js';
import { seedRealm } from './helpers/factories.js';
import { VerifyLoginTokenDocument } from './generated/graphql.js';

// Property: a login token changed in any way — a character replaced, inserted or deleted anywhere,
// a few times over — never verifies. Checked against the server's own verifier (in process, so
// thousands of runs stay fast) and, for a sample, over HTTP through verifyToken.

let server: TestServer;
const tokens: { name: string; token: string }[] = [];
let hsRealm: { id: string; jwtSecret: string | null; signingKeyId: string };
let otherRealm: { id: string; issuer: string };

beforeAll(async () => {
  server = await startTestServer();
  const hs = await seedRealm(server, { jwtAlgorithm: 'HS256', jwtFields: ['MEMBERSHIPS', 'ORGS', 'CUSTOM_ATTRIBUTES'] });
  const rs = await seedRealm(server, { jwtAlgorithm: 'RS256' });
  const other = await seedRealm(server);
  const [hsUser, rsUser] = await Promise.all([
    hs.createUser({ firstName: 'Zoë', lastName: 'Ångström', customAttributes: { plan: 'pro', seats: 3 } }),
    rs.createUser(),
  ]);
  const org = await hs.createOrg({ name: 'Org ✓' });
  await hsUser.addMembership({ orgId: org.id, permissions: ['billing:read', 'admin'] });
  tokens.push({ name: 'HS256', token: (await hsUser.login()).accessToken });
  tokens.push({ name: 'RS256', token: (await rsUser.login()).accessToken });
  const keys = ok(await server.gql(`query ($id: ID!) { realm(id: $id) { id jwtSecret signingKeyId } }`, { id: hs.id }, server.adminKey)).realm;
  hsRealm = keys;
  otherRealm = { id: other.id, issuer: other.issuer };
}, 60_000);
afterAll(async () => {
  await server?.close();
});

const verify = (token: string) => server.app.deps.keys.verify(token);

/** Characters a mutation may write: the token's own alphabet, its separators, and some strangers. */
const mutationChar = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_') },
  { weight: 2, arbitrary: fc.constantFrom('.', '=', '+', '/', ' ', '\n', '\u0000', '%', '"') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);

type Edit = { kind: 'replace' | 'insert' | 'delete'; at: number; char: string };
const edit: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constantFrom('replace', 'insert', 'delete'),
  at: fc.nat(),
  char: mutationChar,
});

function apply(token: string, edits: Edit[]): string {
  let out = token;
  for (const { kind, at, char } of edits) {
    const i = out.length === 0 ? 0 : at % (out.length + (kind === 'insert' ? 1 : 0));
    if (kind === 'replace') out = out.slice(0, i) + char + out.slice(i + 1);
    else if (kind === 'insert') out = out.slice(0, i) + char + out.slice(i);
    else out = out.slice(0, i) + out.slice(i + 1);
  }
  return out;
}

describe('mutated login tokens', () => {
  it('the originals verify (the baseline)', async () => {
    for (const { name, token } of tokens) expect((await verify(token)).valid, name).toBe(true);
  });

  for (const name of ['HS256', 'RS256']) {
    it(`${name}: no mutation of the token verifies`, async () => {
      const { token } = tokens.find((t) => t.name === name)!;
      await fc.assert(
        fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 3 }), async (edits) => {
          const mutated = apply(token, edits);
          fc.pre(mutated !== token);
          const result = await verify(mutated);
          expect(result.valid, `${JSON.stringify(edits)} → ${mutated}`).toBe(false);
        }),
        { numRuns: 300 },
      );
    });

    it(`${name}: every single-character change of the signature's last character is refused`, async () => {
      // The last base64url character of a signature carries padding bits (2 of 6 are data for an
      // HS256 signature, 2 for RS256): a decoder that ignores them accepts several spellings of
      // one signature. Malleable tokens defeat anything keyed on the token string.
      const { token } = tokens.find((t) => t.name === name)!;
      const accepted: string[] = [];
      for (const char of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_') {
        if (char === token.at(-1)) continue;
        if ((await verify(token.slice(0, -1) + char)).valid) accepted.push(char);
      }
      expect(accepted, `signature last char ${token.at(-1)} also accepted as ${accepted.join(', ')}`).toEqual([]);
    });
  }

  it('whitespace inside any segment is refused (RFC 7515: no line breaks or whitespace)', async () => {
    for (const { name, token } of tokens) {
      const [h, p, sig] = token.split('.');
      const mid = (part: string) => part.length >> 1;
      for (const ws of ['\n', ' ', '\t', '\r\n']) {
        const variants = [
          `${h}.${p}.${sig.slice(0, mid(sig))}${ws}${sig.slice(mid(sig))}`,
          `${h}.${p}.${sig}${ws}`,
          `${h}.${p.slice(0, mid(p))}${ws}${p.slice(mid(p))}.${sig}`,
          `${ws}${token}`,
        ];
        for (const variant of variants) expect((await verify(variant)).valid, `${name} with ${JSON.stringify(ws)}`).toBe(false);
      }
    }
  });

  it('over HTTP: verifyToken answers valid: false with a reason, and never errors', async () => {
    const { token } = tokens[0];
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 3 }), async (edits) => {
        const mutated = apply(token, edits);
        fc.pre(mutated !== token);
        const answer = await server.gql(VerifyLoginTokenDocument, { token: mutated });
        expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
        expect(answer.data!.verifyToken.valid).toBe(false);
        expect(answer.data!.verifyToken.reason).toBeTruthy();
        expect(answer.data!.verifyToken.claims ?? null).toBeNull();
      }),
      { numRuns: 60 },
    );
  });
});

describe('realm boundaries', () => {
  it("a token signed with realm A's key whose payload claims realm B's issuer is rejected", async () => {
    const { token } = tokens[0];
    const [header, payload] = token
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
    expect(header.kid).toBe(hsRealm.signingKeyId);
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const forge = (h: unknown, p: unknown) => {
      const input = `${b64(h)}.${b64(p)}`;
      return `${input}.${createHmac('sha256', hsRealm.jwtSecret!).update(input).digest('base64url')}`;
    };
    // Sanity: a hand-made token with the genuine claims verifies, so the refusals below are about iss.
    expect((await verify(forge(header, payload))).valid).toBe(true);
    const claimsB = { ...payload, iss: otherRealm.issuer };
    expect(await verify(forge(header, claimsB))).toMatchObject({ valid: false, reason: 'WRONG_ISSUER' });
    // Also with the issuer of A spelled differently.
    for (const iss of [`${payload.iss}/`, payload.iss.toUpperCase(), `${payload.iss}x`, payload.iss.replace('/realms/', '/realms//')]) {
      expect((await verify(forge(header, { ...payload, iss }))).valid, iss).toBe(false);
    }
    // Over HTTP, the forged token is neither valid nor a caller.
    const answer = ok(await server.gql(VerifyLoginTokenDocument, { token: forge(header, claimsB) }));
    expect(answer.verifyToken).toMatchObject({ valid: false });
    const me = await server.gql('{ me { user { id } } }', {}, forge(header, claimsB));
    expect(me.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorCode, useTestServer } from './helpers/server.js';
import { seedRealm } from './helpers/factories.js';
import { checkTargetUrl, resolveTarget, TargetRefused, type LookupAll, type TargetRules } from '../src/delivery/target-address.js';
import { MAX_RESPONSE_BYTES, safePost } from '../src/delivery/safe-post.js';

// The default rules of a server outside production: private targets refused, http allowed.
const server = useTestServer({ env: { WEBHOOK_POLL_SECONDS: '3600' } });
const STRICT: TargetRules = { allowPrivate: false, allowHttp: true };
const PRODUCTION: TargetRules = { allowPrivate: false, allowHttp: false };
const PRIVATE_OK: TargetRules = { allowPrivate: true, allowHttp: true };

/** Every spelling of an address that is not the public internet; `new URL()` canonicalises the odd ones. */
const REFUSED_HOSTS: [what: string, host: string][] = [
  ['loopback', '127.0.0.1'],
  ['loopback, elsewhere in 127/8', '127.255.255.254'],
  ['loopback, decimal', '2130706433'],
  ['loopback, octal', '0177.0.0.1'],
  ['loopback, hex', '0x7f.1'],
  ['loopback, hex dword', '0x7f000001'],
  ['loopback, short form', '127.1'],
  ['loopback, trailing dot', '127.0.0.1.'],
  ['loopback, percent-encoded', '%31%32%37.0.0.1'],
  ['this network', '0.0.0.0'],
  ['this network, as 0', '0'],
  ['private 10/8', '10.1.2.3'],
  ['private 172.16/12', '172.31.255.1'],
  ['private 192.168/16', '192.168.1.1'],
  ['cloud metadata', '169.254.169.254'],
  ['link-local', '169.254.1.1'],
  ['CGNAT', '100.64.0.1'],
  ['CGNAT, top', '100.127.255.254'],
  ['benchmarking 198.18/15', '198.19.1.1'],
  ['documentation', '192.0.2.1'],
  ['multicast', '224.0.0.1'],
  ['reserved', '240.0.0.1'],
  ['broadcast', '255.255.255.255'],
  ['IPv6 loopback', '[::1]'],
  ['IPv6 unspecified', '[::]'],
  ['IPv4-mapped loopback', '[::ffff:127.0.0.1]'],
  ['IPv4-mapped loopback, hex', '[::ffff:7f00:1]'],
  ['IPv4-mapped loopback, long form', '[0:0:0:0:0:ffff:7f00:1]'],
  ['IPv4-mapped metadata', '[::ffff:169.254.169.254]'],
  ['IPv4-compatible loopback', '[::127.0.0.1]'],
  ['NAT64 of a private address', '[64:ff9b::10.0.0.1]'],
  ['NAT64 of loopback', '[64:ff9b::7f00:1]'],
  ['local-use NAT64', '[64:ff9b:1::8.8.8.8]'],
  ['6to4 of a private address', '[2002:c0a8:101::1]'],
  ['6to4 of loopback', '[2002:7f00:1::]'],
  ['Teredo', '[2001:0:4136:e378:8000:63bf:3fff:fdd2]'],
  ['unique local', '[fd12:3456::1]'],
  ['unique local fc00', '[fc00::1]'],
  ['link-local IPv6', '[fe80::1]'],
  ['site-local IPv6', '[fec0::1]'],
  ['multicast IPv6', '[ff02::1]'],
  ['metadata host name', 'metadata.google.internal'],
  ['metadata host name, trailing dot', 'metadata.google.internal.'],
  ['metadata host name, upper case', 'METADATA.GOOGLE.INTERNAL'],
  ['short metadata name', 'metadata'],
  ['AWS instance-data', 'instance-data'],
  ['localhost', 'localhost'],
  ['a .localhost name', 'app.localhost'],
  ['an .internal name', 'db.corp.internal'],
  ['an mDNS name', 'printer.local'],
];

const ALLOWED_HOSTS: [what: string, host: string][] = [
  ['a public IPv4 literal', '93.184.215.14'],
  ['a public IPv4 literal, decimal', '134744072'], // 8.8.8.8
  ['just outside 172.16/12', '172.32.0.1'],
  ['just outside CGNAT', '100.128.0.1'],
  ['a public IPv6 literal', '[2606:4700:4700::1111]'],
  ['a public IPv4-mapped address', '[::ffff:8.8.8.8]'],
  ['NAT64 of a public address', '[64:ff9b::8.8.8.8]'],
  ['6to4 of a public address', '[2002:808:808::1]'],
];

describe('checkTargetUrl: literal addresses and names (no DNS)', () => {
  it.each(REFUSED_HOSTS)('refuses %s (%s)', (_what, host) => {
    expect(() => checkTargetUrl(`https://${host}/hook`, STRICT)).toThrow(TargetRefused);
    expect(() => checkTargetUrl(`https://${host}:8443/hook`, STRICT)).toThrow(TargetRefused);
    // WEBHOOK_ALLOW_PRIVATE_TARGETS lets them through (development, tests).
    expect(checkTargetUrl(`https://${host}/hook`, PRIVATE_OK)).toBeInstanceOf(URL);
  });

  it.each(ALLOWED_HOSTS)('allows %s (%s), any port', (_what, host) => {
    expect(checkTargetUrl(`https://${host}/hook`, STRICT)).toBeInstanceOf(URL);
    expect(checkTargetUrl(`https://${host}:1/hook`, STRICT)).toBeInstanceOf(URL);
  });

  it('says why, with the canonical address', () => {
    expect(() => checkTargetUrl('https://0x7f.1/', STRICT)).toThrow(expect.objectContaining({ reason: 'loopback address 127.0.0.1' }));
    expect(() => checkTargetUrl('https://[::ffff:10.0.0.1]/', STRICT)).toThrow(expect.objectContaining({ reason: 'private address ::ffff:a00:1' }));
    expect(() => checkTargetUrl('https://169.254.169.254/', STRICT)).toThrow(expect.objectContaining({ reason: 'link-local address 169.254.169.254' }));
  });

  it('accepts https; http only when allowed; no other scheme; no credentials', () => {
    expect(checkTargetUrl('https://hooks.example.com/x', PRODUCTION).href).toBe('https://hooks.example.com/x');
    expect(() => checkTargetUrl('http://hooks.example.com/x', PRODUCTION)).toThrow(expect.objectContaining({ reason: 'scheme http: not allowed' }));
    expect(checkTargetUrl('http://hooks.example.com/x', STRICT)).toBeInstanceOf(URL);
    for (const url of ['ftp://hooks.example.com/', 'file:///etc/passwd', 'gopher://hooks.example.com/', 'ws://hooks.example.com/', 'javascript:alert(1)']) {
      expect(() => checkTargetUrl(url, PRIVATE_OK), url).toThrow(TargetRefused);
    }
    for (const url of ['https://user:pw@hooks.example.com/', 'https://user@hooks.example.com/', 'https://:pw@hooks.example.com/']) {
      expect(() => checkTargetUrl(url, PRIVATE_OK), url).toThrow(expect.objectContaining({ reason: 'credentials in the URL' }));
    }
    for (const url of ['hooks.example.com/x', '/relative', '', 'https://', 'https://[fe80::1%25eth0]/']) {
      expect(() => checkTargetUrl(url, PRIVATE_OK), url).toThrow(TargetRefused);
    }
  });
});

/** A resolver that answers from a table the test changes (DNS the test controls). */
function fakeDns(records: Record<string, string[]>): LookupAll {
  return async (host) => (records[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
}

describe('resolveTarget: every address the name resolves to', () => {
  it('returns the address to connect to when all are public', async () => {
    const lookup = fakeDns({ 'hooks.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'] });
    await expect(resolveTarget(new URL('https://hooks.example.com/'), STRICT, lookup)).resolves.toEqual({ address: '93.184.215.14', family: 4 });
  });

  it.each([
    ['an A record on loopback', ['127.0.0.1']],
    ['one private record among public ones', ['93.184.215.14', '10.0.0.7']],
    ['an AAAA record IPv4-mapped to metadata', ['::ffff:a9fe:a9fe']],
    ['an AAAA record on unique local', ['2606:4700::1111', 'fd00::1']],
  ])('refuses %s', async (_what, addresses) => {
    const lookup = fakeDns({ 'hooks.example.com': addresses });
    await expect(resolveTarget(new URL('https://hooks.example.com/'), STRICT, lookup)).rejects.toThrow(TargetRefused);
    await expect(resolveTarget(new URL('https://hooks.example.com/'), PRIVATE_OK, lookup)).resolves.toMatchObject({ address: addresses[0] });
  });

  it('refuses a name that does not resolve', async () => {
    await expect(resolveTarget(new URL('https://gone.example.com/'), STRICT, fakeDns({}))).rejects.toThrow(TargetRefused);
  });
});

/** A real receiver on loopback with a few behaviours. */
type Seen = { path: string; headers: IncomingHttpHeaders; body: string };
let receiver: Server;
let base: string;
let port: number;
const seen: Seen[] = [];
let hugeBytesWritten = 0;
let hugeClosed: Promise<void>;

beforeAll(async () => {
  let closedHuge: () => void = () => {};
  hugeClosed = new Promise((resolve) => (closedHuge = resolve));
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({ path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (req.url === '/ok') res.writeHead(204).end();
      else if (req.url === '/fail') res.writeHead(500).end('no');
      else if (req.url === '/redirect') res.writeHead(302, { location: '/ok' }).end();
      else if (req.url === '/hang')
        return; // never answers
      else if (req.url === '/huge') {
        // An endless body: written as fast as the client reads, until it hangs up.
        res.writeHead(200, { 'content-type': 'text/plain' });
        const chunk = Buffer.alloc(16 * 1024, 'x');
        const pump = () => {
          while (!res.destroyed && res.write(chunk)) hugeBytesWritten += chunk.length;
          if (!res.destroyed) hugeBytesWritten += chunk.length;
        };
        res.on('drain', pump);
        res.on('close', closedHuge);
        pump();
      } else res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const address = receiver.address();
  port = typeof address === 'object' && address ? address.port : 0;
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

const post = (url: string, extra: { timeoutMs?: number; rules?: TargetRules; lookup?: LookupAll } = {}) =>
  safePost(url, { headers: { 'content-type': 'application/json' }, body: '{"a":1}', rules: PRIVATE_OK, ...extra });

describe('safePost against a real receiver (private targets allowed)', () => {
  it('a 2xx is returned with the body sent', async () => {
    const result = await post(`${base}/ok`);
    expect(result.status).toBe(204);
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(seen.at(-1)).toMatchObject({ path: '/ok', body: '{"a":1}', headers: { 'content-type': 'application/json', 'content-length': '7' } });
  });

  it('a 500 is a status, not an error', async () => {
    await expect(post(`${base}/fail`)).resolves.toMatchObject({ status: 500 });
  });

  it('a 302 is not followed', async () => {
    const before = seen.length;
    await expect(post(`${base}/redirect`)).resolves.toMatchObject({ status: 302 });
    expect(seen.slice(before).map((request) => request.path)).toEqual(['/redirect']);
  });

  it('a receiver that never answers times out, with a message fit for an admin', async () => {
    const started = performance.now();
    await expect(post(`${base}/hang`, { timeoutMs: 300 })).rejects.toThrow(/^timeout after 300 ms$/);
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('an endless response body is cut at 64 KiB', async () => {
    await expect(post(`${base}/huge`)).resolves.toMatchObject({ status: 200 });
    await hugeClosed;
    // What was written beyond what we read sat in socket buffers; nowhere near the unbounded body.
    expect(hugeBytesWritten).toBeLessThan(MAX_RESPONSE_BYTES + 8 * 1024 * 1024);
  });

  it('a closed port is an error code', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const address = closed.address();
    const freePort = typeof address === 'object' && address ? address.port : 0;
    await new Promise((resolve) => closed.close(resolve));
    await expect(post(`http://127.0.0.1:${freePort}/ok`)).rejects.toThrow(/^ECONNREFUSED$/);
  });

  it('connects to the address that was checked, with the URL host as Host', async () => {
    // receiver.test does not exist in any DNS: only the pinned address can have reached the receiver.
    const lookup = fakeDns({ 'receiver.test': ['127.0.0.1'] });
    await expect(post(`http://receiver.test:${port}/ok`, { lookup })).resolves.toMatchObject({ status: 204 });
    expect(seen.at(-1)).toMatchObject({ path: '/ok', headers: { host: `receiver.test:${port}` } });
  });
});

describe('safePost over TLS', () => {
  it('sends the URL host as TLS server name to the pinned address, and verifies the certificate', async () => {
    // A self-signed certificate for receiver.test: the handshake reaches the receiver (which records
    // the server name it was asked for), and the client then refuses the certificate.
    const dir = mkdtempSync(join(tmpdir(), 'tessera-tls-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=receiver.test',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      const names: string[] = [];
      const tls = createTlsServer(
        {
          key: readFileSync(join(dir, 'key.pem')),
          cert: readFileSync(join(dir, 'cert.pem')),
          SNICallback: (name, done) => {
            names.push(name);
            done(null, undefined);
          },
        },
        (_req, res) => res.writeHead(204).end(),
      );
      await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
      const address = tls.address();
      const tlsPort = typeof address === 'object' && address ? address.port : 0;
      try {
        const lookup = fakeDns({ 'receiver.test': ['127.0.0.1'] });
        await expect(post(`https://receiver.test:${tlsPort}/ok`, { lookup })).rejects.toThrow(/^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)$/);
        expect(names).toEqual(['receiver.test']);
      } finally {
        tls.closeAllConnections();
        await new Promise((resolve) => tls.close(resolve));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('DNS rebinding: the name is resolved and checked again at every send', () => {
  it('a name public at creation and private at send is refused at send, and nothing is sent', async () => {
    const records: Record<string, string[]> = { 'rebind.example.com': ['93.184.215.14'] };
    const lookup = fakeDns(records);
    const url = checkTargetUrl(`http://rebind.example.com:${port}/ok`, STRICT);
    await expect(resolveTarget(url, STRICT, lookup)).resolves.toEqual({ address: '93.184.215.14', family: 4 });
    records['rebind.example.com'] = ['127.0.0.1'];
    const before = seen.length;
    await expect(post(url.href, { rules: STRICT, lookup })).rejects.toThrow(TargetRefused);
    expect(seen.length).toBe(before);
  });

  it('a literal private URL is refused by safePost itself', async () => {
    await expect(post(`${base}/ok`, { rules: STRICT })).rejects.toThrow(expect.objectContaining({ reason: 'loopback address 127.0.0.1' }));
  });
});

describe('createWebhookEndpoint refuses what the rules refuse (BAD_USER_INPUT, field url)', () => {
  const CREATE = `mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id url } } }`;
  const create = (realmId: string, url: string) => server.gql(CREATE, { input: { realmId, url, eventTypes: ['SESSION_CREATED'] } }, server.adminKey);
  const LIST = `query ($r: ID!) { webhookEndpoints(realmId: $r) { id } }`;

  it.each(REFUSED_HOSTS)('refuses %s (%s) and creates nothing', async (_what, host) => {
    const realm = await seedRealm(server);
    const response = await create(realm.id, `https://${host}/hook`);
    expect(errorCode(response)).toBe('BAD_USER_INPUT');
    expect(response.errors![0].extensions).toMatchObject({ field: 'url' });
    expect(response.errors![0].message).toMatch(/^url refused: /);
    expect((await server.gql(LIST, { r: realm.id }, server.adminKey)).data!.webhookEndpoints).toEqual([]);
  });

  it.each([
    ['credentials', 'https://user:pw@hooks.example.com/'],
    ['another scheme', 'ftp://hooks.example.com/'],
    ['not a URL', 'hooks'],
  ])('refuses %s', async (_what, url) => {
    const realm = await seedRealm(server);
    const response = await create(realm.id, url);
    expect(response.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'url' });
  });

  it.each(ALLOWED_HOSTS)('accepts %s (%s)', async (_what, host) => {
    const realm = await seedRealm(server);
    const response = await create(realm.id, `https://${host}/hook`);
    expect(response.errors).toBeUndefined();
  });
});
